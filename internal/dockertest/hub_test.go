package dockertest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/kdev-dev/kdev/internal/registrytest"
)

// TestHubAsDockerHub walks the hub the way a registry client walks Docker Hub: /v2/
// challenges with a Bearer realm on another listener, the token server signs a token
// that distribution's token auth accepts, and a blob GET is redirected to a third
// listener that serves it. With users, a wrong password is refused and an anonymous
// token grants nothing.
func TestHubAsDockerHub(t *testing.T) {
	h := StartHub(t, netip.MustParseAddr("127.0.0.1"), HubOptions{Users: map[string]string{"ci": "s3cret"}})
	img, err := registrytest.NewImage(1, 4096)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Push("library/app", "v1", img); err != nil {
		t.Fatal(err)
	}
	hc := h.Client()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	resp := get(t, hc, h.URL+"/v2/", "")
	challenge := resp.Header.Get("WWW-Authenticate")
	want := `Bearer realm="` + h.TokenURL + `",service="` + h.Service + `"`
	if resp.StatusCode != http.StatusUnauthorized || challenge != want {
		t.Fatalf("/v2/: %s, WWW-Authenticate %q; want 401 with %q", resp.Status, challenge, want)
	}

	tokenURL := h.TokenURL + "?service=" + url.QueryEscape(h.Service) + "&scope=" + url.QueryEscape("repository:library/app:pull")
	if r := token(t, hc, tokenURL, "ci", "wrong"); r.StatusCode != http.StatusUnauthorized || h.TokensRefused() != 1 {
		t.Fatalf("token with a wrong password: %s, refused %d; want 401", r.Status, h.TokensRefused())
	}
	anon := bearer(t, token(t, hc, tokenURL, "", ""))
	if r := get(t, hc, h.URL+"/v2/library/app/manifests/v1", anon); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("manifest with an anonymous token: %s; want 401 (the repository needs an account)", r.Status)
	}
	tok := bearer(t, token(t, hc, tokenURL, "ci", "s3cret"))
	if r := get(t, hc, h.URL+"/v2/library/app/manifests/v1", tok); r.StatusCode != http.StatusOK {
		t.Fatalf("manifest with the user's token: %s", r.Status)
	}
	r := get(t, hc, h.URL+"/v2/library/app/blobs/"+registrytest.Digest(img.Layers[0]), tok)
	loc := r.Header.Get("Location")
	if r.StatusCode != http.StatusTemporaryRedirect || !strings.HasPrefix(loc, h.BlobURL+"/") {
		t.Fatalf("blob: %s to %q; want 307 to %s", r.Status, loc, h.BlobURL)
	}
	r = get(t, hc, loc, "")
	b, _ := io.ReadAll(r.Body)
	if r.StatusCode != http.StatusOK || registrytest.Digest(b) != registrytest.Digest(img.Layers[0]) || h.BlobsRedirected() != 1 {
		t.Fatalf("redirected blob: %s, %d bytes, %d served; want the layer", r.Status, len(b), h.BlobsRedirected())
	}
}

func get(t *testing.T, hc *http.Client, u, tok string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json")
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func token(t *testing.T, hc *http.Client, u, user, pass string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func bearer(t *testing.T, resp *http.Response) string {
	t.Helper()
	var body struct{ Token string }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK || body.Token == "" {
		t.Fatalf("token: %s, %v", resp.Status, err)
	}
	return body.Token
}
