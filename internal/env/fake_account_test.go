package env

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestFakeDoctorAccount: doctor asks each upstream with credentials whether it takes
// the account, and says which password to check, never the password itself.
func TestFakeDoctorAccount(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); ok && u == "ci" && p == "s3cret" {
			return
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="registry"`)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer upstream.Close()
	body := "mirrors:\n- registry: a.test\n  remoteURL: " + upstream.URL + "\n  credentials:\n    username: ci\n    passwordEnv: KDEV_TEST_PASSWORD\nlocalRegistry:\n  enabled: false\n"
	for _, tc := range []struct {
		password string
		ok       bool
	}{{"s3cret", true}, {"wrong", false}} {
		t.Setenv("KDEV_TEST_PASSWORD", tc.password)
		f := newFakeEnv(t, nil, "acct", body)
		f.up()
		fs, err := f.env.Doctor(f.ctx())
		if err != nil {
			t.Fatal(err)
		}
		var got *Finding
		for i := range fs {
			if strings.HasPrefix(fs[i].Item, "upstream "+upstream.URL+" accepts account ci") {
				got = &fs[i]
			}
		}
		switch {
		case got == nil:
			t.Fatalf("password %s: doctor did not check the account: %+v", tc.password, fs)
		case got.OK != tc.ok:
			t.Errorf("password %s: account item ok=%v (%s), want %v", tc.password, got.OK, got.Detail, tc.ok)
		case !tc.ok && (!strings.Contains(got.Fix, "passwordEnv") || strings.Contains(got.Detail+got.Fix, tc.password)):
			t.Errorf("refused account: %+v; want what to check, and never the password", *got)
		}
	}
}
