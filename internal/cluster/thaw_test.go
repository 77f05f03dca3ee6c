package cluster

import (
	"os"
	"path/filepath"
	"testing"
)

// TestThawIn: frozen cgroups (v1 freezer.state, v2 cgroup.freeze) under a node's
// container are thawed; another container's are left as they are.
func TestThawIn(t *testing.T) {
	root := t.TempDir()
	write := func(rel, file, content string) string {
		dir := filepath.Join(root, rel)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, file)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	node := "cee3eff35ef4"
	v1 := write("freezer/docker/"+node+"/kubelet.slice/pod/cri-containerd-f36.scope", "freezer.state", "FROZEN\n")
	v1thawed := write("freezer/docker/"+node+"/kubelet.slice", "freezer.state", "THAWED\n")
	v2 := write("system.slice/docker-"+node+".scope/kubelet.slice/pod", "cgroup.freeze", "1\n")
	other := write("freezer/docker/0123456789ab/pod", "freezer.state", "FROZEN\n")

	if n := thawIn(root, []string{node}); n != 2 {
		t.Fatalf("thawed %d cgroups, want 2 (one v1, one v2)", n)
	}
	for p, want := range map[string]string{v1: "THAWED", v1thawed: "THAWED\n", v2: "0", other: "FROZEN\n"} {
		if b, _ := os.ReadFile(p); string(b) != want {
			t.Errorf("%s: %q, want %q", p, b, want)
		}
	}
	if n := thawIn(root, nil); n != 0 {
		t.Errorf("no ids thawed %d", n)
	}
}
