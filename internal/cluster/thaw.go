package cluster

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// cgroupRoot is where the host's cgroups are mounted.
const cgroupRoot = "/sys/fs/cgroup"

// thawNodes unfreezes the cgroups of a cluster's node containers, where kdev runs on
// the Docker host with the rights to (root on Linux); elsewhere it does nothing.
//
// runc freezes a container's cgroup while it changes its device rules. A node killed
// in that moment (kdev down right after up, while the kubelet starts pods) leaves the
// pod's cgroup FROZEN on the host: its runc init can never die, so neither can the
// node's PID 1, and Docker reports "tried to kill container, but did not receive an
// exit event" for ever. Thawing lets the kill finish. It returns how many it thawed.
func thawNodes(names []string) int {
	if len(names) == 0 {
		return 0
	}
	out, err := exec.Command("docker", append([]string{"inspect", "-f", "{{.Id}}"}, names...)...).Output()
	if err != nil && len(out) == 0 {
		return 0
	}
	return thawIn(cgroupRoot, strings.Fields(string(out)))
}

// thawIn unfreezes every frozen cgroup under root whose path names one of ids.
func thawIn(root string, ids []string) int {
	if len(ids) == 0 {
		return 0
	}
	thawed := 0
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() || !containsAny(p, ids) {
			return nil
		}
		// cgroup v1: freezer.state FROZEN -> THAWED; v2: cgroup.freeze 1 -> 0.
		if b, err := os.ReadFile(filepath.Join(p, "freezer.state")); err == nil && bytes.HasPrefix(b, []byte("FROZEN")) {
			if os.WriteFile(filepath.Join(p, "freezer.state"), []byte("THAWED"), 0) == nil {
				thawed++
			}
		}
		if b, err := os.ReadFile(filepath.Join(p, "cgroup.freeze")); err == nil && bytes.HasPrefix(b, []byte("1")) {
			if os.WriteFile(filepath.Join(p, "cgroup.freeze"), []byte("0"), 0) == nil {
				thawed++
			}
		}
		return nil
	})
	return thawed
}

func containsAny(s string, subs []string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}
