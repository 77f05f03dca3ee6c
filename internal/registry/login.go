package registry

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// CheckLogin logs in to remote's registry as a mirror with credentials does, and
// returns why the upstream refused the account, "" when it did not (or asks for none).
// A mirror whose password is refused starts and answers like any other, then fails
// every pull that needs its upstream; only its logs would tell why. Asking /v2/ and the
// token server named by its challenge is what distribution's proxy does, with the same
// client (the mirror's authorities and proxy). An error is a question that got no
// answer: the probes report those.
func CheckLogin(ctx context.Context, hc *http.Client, remote, user, password string) (string, error) {
	resp, err := send(ctx, hc, strings.TrimSuffix(remote, "/")+"/v2/", "", "")
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusUnauthorized {
		return "", nil
	}
	scheme, params := parseChallenge(resp.Header.Get("WWW-Authenticate"))
	target := strings.TrimSuffix(remote, "/") + "/v2/"
	who := "the upstream"
	switch strings.ToLower(scheme) {
	case "basic":
	case "bearer":
		realm, err := url.Parse(params["realm"])
		if err != nil || params["realm"] == "" {
			return "", fmt.Errorf("upstream %s: a Bearer challenge without a usable realm (%q)", remote, params["realm"])
		}
		q := realm.Query()
		if s := params["service"]; s != "" {
			q.Set("service", s)
		}
		q.Set("account", user)
		realm.RawQuery = q.Encode()
		target, who = realm.String(), "the upstream's token server ("+realm.Scheme+"://"+realm.Host+realm.Path+")"
	default:
		return "", nil
	}
	resp, err = send(ctx, hc, target, user, password)
	if err != nil {
		return "", err
	}
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		return fmt.Sprintf("%s refused user %q (%s): check the password that credentials.passwordFile or passwordEnv gives", who, user, resp.Status), nil
	}
	return "", nil
}

// send GETs u, with basic auth when user is set, and returns the response with its
// body read and closed.
func send(ctx context.Context, hc *http.Client, u, user, password string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp, nil
}

var challengeParam = regexp.MustCompile(`([A-Za-z]+)="([^"]*)"`)

// parseChallenge reads a WWW-Authenticate header: `Bearer realm="…",service="…"`.
func parseChallenge(h string) (string, map[string]string) {
	scheme, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
	params := map[string]string{}
	for _, m := range challengeParam.FindAllStringSubmatch(rest, -1) {
		params[strings.ToLower(m[1])] = m[2]
	}
	return scheme, params
}
