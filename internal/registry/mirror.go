package registry

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/client"

	"github.com/kdev-dev/kdev/internal/config"
	"github.com/kdev-dev/kdev/internal/docker"
)

// readyTimeout bounds the wait for a registry to answer. distribution's proxy pings its
// upstream with no timeout before it listens, so an upstream that drops packets keeps a
// mirror silent: past this, kdev treats the upstream as unreachable.
const readyTimeout = 20 * time.Second

// MirrorResult is what EnsureMirror observed and did.
type MirrorResult struct {
	Registry  string    `json:"registry"`
	Container *Observed `json:"container"`
	Action    Action    `json:"action"`
	Mode      Mode      `json:"mode"`
	// Warning is set when the mirror serves only its cache because its upstream failed.
	Warning string `json:"warning,omitempty"`
	// Was is the mode the mirror had before, when this run changed it; Since is when
	// it had entered that mode.
	Was   Mode       `json:"was,omitempty"`
	Since *time.Time `json:"since,omitempty"`
}

// EnsureMirror makes m's mirror run, attached to nets, and ready to serve. When the
// upstream cannot be reached at start, the mirror serves its cache read-only instead of
// crash-looping, and a later EnsureMirror puts it back in proxy mode once it can.
func EnsureMirror(ctx context.Context, api docker.API, m config.Mirror, image string, access Access, nets []string) (MirrorResult, error) {
	res := MirrorResult{Registry: m.Registry, Mode: ModeProxy}
	old, err := inspect(ctx, api, MirrorName(m))
	if err != nil {
		return res, err
	}
	if old != nil && old.Labels[docker.LabelMode] == string(ModeCacheOnly) && old.Labels[docker.LabelRemote] == m.RemoteURL {
		ok, why, err := probeUpstream(ctx, api, m, image, access, nets[0])
		if err != nil {
			return res, err
		}
		if !ok {
			res.Mode, res.Warning = ModeCacheOnly, why
		}
	}
	spec, err := MirrorSpec(m, image, access, res.Mode)
	if err != nil {
		return res, err
	}
	obs, action, err := ensure(ctx, api, spec, nets, old)
	if err != nil {
		return res, err
	}
	res.Container, res.Action = obs, action
	ready, out := waitReady(ctx, api, obs)
	if ready {
		res.noteChange(old)
		return res, nil
	}
	if res.Mode == ModeProxy {
		if why, down := upstreamDown(out, m.RemoteURL); down {
			if spec, err = MirrorSpec(m, image, access, ModeCacheOnly); err != nil {
				return res, err
			}
			if obs, _, err = ensure(ctx, api, spec, nets, obs); err != nil {
				return res, err
			}
			res.Container, res.Mode, res.Warning = obs, ModeCacheOnly, why
			if ready, out = waitReady(ctx, api, obs); ready {
				res.noteChange(old)
				return res, nil
			}
		}
	}
	return res, fmt.Errorf("mirror %s for %s did not become ready in %s; its last lines:\n%s", spec.Name, m.Registry, readyTimeout, lastLines(out, 8))
}

// noteChange records the mode the mirror left, when it changed.
func (r *MirrorResult) noteChange(old *Observed) {
	if old == nil || old.Mode() == r.Mode {
		return
	}
	r.Was = old.Mode()
	if !old.Created.IsZero() {
		since := old.Created
		r.Since = &since
	}
}

// probeUpstream starts a throwaway proxy, with no volume, to learn whether the upstream
// can be reached from inside the network now, without touching the serving mirror.
func probeUpstream(ctx context.Context, api docker.API, m config.Mirror, image string, access Access, net string) (bool, string, error) {
	spec, err := MirrorSpec(m, image, access, ModeProxy)
	if err != nil {
		return false, "", err
	}
	spec.Name += "-probe"
	spec.Volume = ""
	spec.Role = "probe"
	spec.Labels[docker.LabelRole] = spec.Role
	if old, err := inspect(ctx, api, spec.Name); err == nil && old != nil {
		_ = remove(ctx, api, old.ID)
	}
	if err := create(ctx, api, spec, net); err != nil {
		return false, "", err
	}
	defer func() { _ = remove(context.WithoutCancel(ctx), api, spec.Name) }()
	if _, err := api.ContainerStart(ctx, spec.Name, client.ContainerStartOptions{}); err != nil {
		return false, "", fmt.Errorf("start %s: %w", spec.Name, err)
	}
	obs, err := inspect(ctx, api, spec.Name)
	if err != nil {
		return false, "", err
	}
	ready, out := waitReadyFor(ctx, api, obs, 5*time.Second)
	if ready {
		return true, "", nil
	}
	why, _ := upstreamDown(out, m.RemoteURL)
	if why == "" {
		why = fmt.Sprintf("upstream %s did not answer the mirror", m.RemoteURL)
	}
	return false, why, nil
}

// upstreamDown recognises distribution's start-time failure to reach its upstream
// (`panic: Get "<remote>/v2/": ...`, distribution issue 4038), or a mirror that never
// started listening, and returns a one-line reason.
func upstreamDown(out, remote string) (string, bool) {
	if i := strings.Index(out, `panic: Get "`+strings.TrimSuffix(remote, "/")+`/v2/"`); i >= 0 {
		line, _, _ := strings.Cut(out[i:], "\n")
		line = strings.TrimPrefix(line, "panic: ")
		if why := Diagnose(line); why != "" {
			state := "is unreachable"
			if strings.HasPrefix(why, "its TLS") {
				state = "is not trusted"
			}
			return fmt.Sprintf("upstream %s %s: %s (%s); serving the cache only", remote, state, why, line), true
		}
		return fmt.Sprintf("upstream %s is unreachable (%s); serving the cache only", remote, line), true
	}
	if !strings.Contains(out, "listening on") {
		return fmt.Sprintf("upstream %s did not answer within %s; serving the cache only", remote, readyTimeout), true
	}
	return "", false
}

// Diagnose names the cause of a failed connection to an upstream, as Go reports it, and
// what to do about it; "" when it is not one it knows.
func Diagnose(err string) string {
	switch {
	case strings.Contains(err, "x509: certificate signed by unknown authority"):
		return "its TLS certificate is signed by an authority the mirror does not trust; set caFile on this mirror (or caFiles, for every mirror) in kdev.yaml to that authority's PEM file"
	case strings.Contains(err, "x509: certificate is valid for"), strings.Contains(err, "x509: certificate is not valid for"):
		return "its TLS certificate is for another name; write remoteURL with a name the certificate is for"
	case strings.Contains(err, "x509: certificate has expired or is not yet valid"):
		return "its TLS certificate has expired or is not yet valid (or the clock is wrong)"
	case strings.Contains(err, "proxyconnect"), strings.Contains(err, "Proxy Authentication Required"):
		return "the proxy refused the connection; check HTTPS_PROXY (or the Docker client's proxies) and its credentials"
	case strings.Contains(err, "no such host"), strings.Contains(err, "server misbehaving"):
		return "its host name does not resolve where the mirror runs; behind a proxy, set HTTPS_PROXY"
	case strings.Contains(err, "connection refused"):
		return "nothing answers at its address (connection refused)"
	case strings.Contains(err, "i/o timeout"), strings.Contains(err, "deadline exceeded"):
		return "it did not answer in time; behind a proxy, set HTTPS_PROXY"
	}
	return ""
}

func waitReady(ctx context.Context, api docker.API, obs *Observed) (bool, string) {
	return waitReadyFor(ctx, api, obs, readyTimeout)
}

// waitReadyFor polls the registry's /v2/ on its published port until it answers, the
// container stops running, or the time is up. It returns the container's log when not ready.
func waitReadyFor(ctx context.Context, api docker.API, obs *Observed, limit time.Duration) (bool, string) {
	hc := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(limit)
	for {
		if obs.APIPort != 0 {
			if resp, err := hc.Get("http://127.0.0.1:" + strconv.Itoa(obs.APIPort) + "/v2/"); err == nil {
				resp.Body.Close()
				return true, ""
			}
		}
		cur, err := inspect(ctx, api, obs.Name)
		if err != nil || cur == nil || cur.State != "running" || time.Now().After(deadline) || ctx.Err() != nil {
			since := obs.StartedAt
			if cur != nil {
				since = cur.StartedAt
			}
			return false, logs(context.WithoutCancel(ctx), api, obs.ID, since)
		}
		obs = cur
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "  " + strings.Join(lines, "\n  ")
}
