package env

import (
	"context"
	"fmt"
	"sync"

	"github.com/kdev-dev/kdev/internal/config"
	"github.com/kdev-dev/kdev/internal/registry"
)

// warnRefusedLogins logs in to the upstream of every proxy-mode mirror that has
// credentials, as the mirror would, and warns of each account the upstream refuses:
// such a mirror starts and answers, then fails every pull it has not cached, and says
// why only in its logs. An upstream that does not answer is the probes' to report.
func (e *Env) warnRefusedLogins(ctx context.Context, results []registry.MirrorResult, access map[string]registry.Access) {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		warns = map[string]string{}
	)
	for _, m := range e.Config.Mirrors {
		if m.Credentials == nil {
			continue
		}
		for _, r := range results {
			if r.Registry != m.Registry || r.Mode != registry.ModeProxy {
				continue
			}
			wg.Go(func() {
				hc, err := e.upstreamClient(m)
				if err != nil {
					return
				}
				ctx, cancel := context.WithTimeout(ctx, e.Config.ProbeTimeout())
				defer cancel()
				if why, err := registry.CheckLogin(ctx, hc, m.RemoteURL, m.Credentials.Username, access[m.Registry].Password); err == nil && why != "" {
					mu.Lock()
					warns[m.Registry] = why
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	// Said in the configuration's order, from this goroutine: Progress is not shared.
	for _, m := range e.Config.Mirrors {
		if why := warns[m.Registry]; why != "" {
			e.Progress.Warn(fmt.Sprintf("mirror %s: %s; until then it serves only what it has cached", m.Registry, why))
		}
	}
}

// doctorAccount asks m's upstream, as its mirror would log in, whether it accepts m's
// account.
func (e *Env) doctorAccount(ctx context.Context, m config.Mirror) Finding {
	item := fmt.Sprintf("upstream %s accepts account %s", m.RemoteURL, m.Credentials.Username)
	const fix = "check the password that credentials.passwordFile or passwordEnv gives"
	pw, err := password(m)
	if err != nil {
		return finding(item, false, m.Registry, err.Error(), fix)
	}
	hc, err := e.upstreamClient(m)
	if err != nil {
		return finding(item, false, m.Registry, err.Error(), "see the message")
	}
	ctx, cancel := context.WithTimeout(ctx, e.Config.ProbeTimeout())
	defer cancel()
	why, err := registry.CheckLogin(ctx, hc, m.RemoteURL, m.Credentials.Username, pw)
	switch {
	case err != nil:
		return finding(item, false, m.Registry, "not known: the upstream did not answer ("+errText(err)+")", "see why the upstream does not answer")
	case why != "":
		return finding(item, false, m.Registry, why, fix)
	}
	return finding(item, true, m.Registry, "", "")
}
