package registry

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/kdev-dev/kdev/internal/dockertest"
)

// TestCheckLogin: an account the upstream refuses is named, with where it was refused
// and what to check; the right password, and an upstream that asks for no login, pass.
// Against the Docker Hub-like fixture (a token server on another listener) and a
// registry that asks for basic auth itself.
func TestCheckLogin(t *testing.T) {
	hub := dockertest.StartHub(t, netip.MustParseAddr("127.0.0.1"), dockertest.HubOptions{Users: map[string]string{"ci": "s3cret"}})
	basic := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); ok && u == "ci" && p == "s3cret" {
			return
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="registry"`)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer basic.Close()
	open := httptest.NewServer(http.NotFoundHandler())
	defer open.Close()
	for _, tc := range []struct {
		name, remote, password, want string
		hc                           *http.Client
	}{
		{"token server, right password", hub.URL, "s3cret", "", hub.Client()},
		{"token server, wrong password", hub.URL, "wrong", `the upstream's token server (` + hub.TokenURL + `) refused user "ci" (401 Unauthorized)`, hub.Client()},
		{"basic, right password", basic.URL, "s3cret", "", http.DefaultClient},
		{"basic, wrong password", basic.URL, "wrong", `the upstream refused user "ci" (401 Unauthorized)`, http.DefaultClient},
		{"no login asked", open.URL, "any", "", http.DefaultClient},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CheckLogin(context.Background(), tc.hc, tc.remote, "ci", tc.password)
			if err != nil {
				t.Fatal(err)
			}
			if (tc.want == "") != (got == "") || !strings.HasPrefix(got, tc.want) || (got != "" && !strings.Contains(got, "passwordFile")) {
				t.Errorf("got %q, want %q and what to check", got, tc.want)
			}
			if strings.Contains(got, tc.password) {
				t.Errorf("the reason shows the password: %q", got)
			}
		})
	}
}
