package env

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kdev-dev/kdev/internal/cluster"
	"github.com/kdev-dev/kdev/internal/registry"
)

// proofPath is where a passing check is recorded, inside the control-plane node: the
// record goes with the cluster, so a new cluster is always proven afresh.
const proofPath = "/var/lib/kdev/check.json"

// proof is the record of a check that every mirror passed.
type proof struct {
	// Key digests what the check proved (see proofKey).
	Key string    `json:"key"`
	At  time.Time `json:"at"`
}

// proofKey digests everything a check depends on: each mirror's upstream, canary and
// policy, the container serving it and its mode, and the hosts.toml every node has.
// When any of them changes, the record no longer applies.
func (e *Env) proofKey(byReg map[string]*registry.Observed) (string, error) {
	files, err := e.hostsFiles()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, m := range e.Config.Mirrors {
		id, mode := "", registry.Mode("")
		if o := byReg[m.Registry]; o != nil {
			id, mode = o.ID, o.Mode()
		}
		fmt.Fprintf(h, "mirror %q %q %q %q %q %q\n", m.Registry, m.RemoteURL, m.Canary, m.Policy, id, mode)
	}
	for _, f := range files {
		fmt.Fprintf(h, "file %q %q\n", f.Path, f.Content)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Proven returns when the environment, exactly as up just found it (res), last passed
// the check. false means it must be proven (no record, another setup, or no cluster).
func (e *Env) Proven(ctx context.Context, res *UpResult) (time.Time, bool) {
	if res.Cluster == nil || res.Cluster.Observed == nil || res.Cluster.Observed.ControlPlaneNode() == nil {
		return time.Time{}, false
	}
	byReg := map[string]*registry.Observed{}
	for _, m := range res.Mirrors {
		if m.Container != nil {
			byReg[m.Registry] = m.Container
		}
	}
	key, err := e.proofKey(byReg)
	if err != nil {
		return time.Time{}, false
	}
	out, err := res.Cluster.Observed.ControlPlaneNode().ReadFile(ctx, proofPath)
	if err != nil {
		return time.Time{}, false
	}
	var p proof
	if json.Unmarshal([]byte(out), &p) != nil || p.Key != key {
		return time.Time{}, false
	}
	return p.At, true
}

// recordProof leaves a record of a check that every mirror passed, or removes the
// record when one did not, so that the next `up` proves it again.
func (e *Env) recordProof(ctx context.Context, cp cluster.Node, byReg map[string]*registry.Observed, passed bool) error {
	if !passed {
		return cp.RemoveFile(ctx, proofPath)
	}
	key, err := e.proofKey(byReg)
	if err != nil {
		return err
	}
	data, err := json.Marshal(proof{Key: key, At: time.Now().UTC()})
	if err != nil {
		return err
	}
	return cp.WriteFile(ctx, proofPath, string(data))
}
