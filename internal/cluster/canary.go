package cluster

import (
	"context"
	"fmt"
	"strings"
	"time"

	"sigs.k8s.io/kind/pkg/cluster/nodes"
)

// canaryNamespace holds the short-lived pods that pull canaries.
const canaryNamespace = "kube-system"

// PullViaPod makes the node's kubelet pull image through CRI, exactly as it pulls any
// pod's image: a pod pinned to the node with imagePullPolicy Always. It returns when
// the image is pulled (the container need not run) or the pull failed, and deletes the
// pod. kdev does not use ctr here: ctr ignores the CRI registry config, which is what
// the check must exercise. cp is a control-plane node, for kubectl.
func PullViaPod(ctx context.Context, cp, node nodes.Node, image, name string) (time.Duration, error) {
	pod := fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %s
  namespace: %s
  labels: {app.kubernetes.io/managed-by: kdev, app.kubernetes.io/component: canary}
spec:
  nodeName: %s
  restartPolicy: Never
  terminationGracePeriodSeconds: 0
  tolerations: [{operator: Exists}]
  containers:
  - name: canary
    image: %s
    imagePullPolicy: Always
`, name, canaryNamespace, node.String(), image)
	start := time.Now()
	if _, err := Kubectl(ctx, cp, pod, "apply", "-f", "-"); err != nil {
		return 0, err
	}
	defer func() {
		_, _ = Kubectl(context.WithoutCancel(ctx), cp, "", "delete", "pod", "-n", canaryNamespace, name, "--wait=true", "--grace-period=0", "--force", "--ignore-not-found")
	}()
	jsonpath := `{.status.containerStatuses[0].imageID}|{.status.containerStatuses[0].state.waiting.reason}|{.status.containerStatuses[0].state.waiting.message}`
	for {
		out, err := Kubectl(ctx, cp, "", "get", "pod", "-n", canaryNamespace, name, "-o", "jsonpath="+jsonpath)
		if err != nil {
			return 0, err
		}
		parts := strings.SplitN(out, "|", 3)
		switch {
		case len(parts) == 3 && parts[0] != "":
			return time.Since(start), nil
		case len(parts) == 3 && (parts[1] == "ErrImagePull" || parts[1] == "ImagePullBackOff" || parts[1] == "InvalidImageName"):
			return time.Since(start), fmt.Errorf("%s could not pull %s: %s", node, image, firstLine(parts[2]))
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// RemoveImage deletes an image from the node's CRI store under every name that points
// at it (tag, digest and ID references alike) and collects its content, so that the
// next pull fetches every blob again. It first waits (up to 15 s) for the kubelet to
// remove containers of the image: a container left over from a deleted pod keeps the
// image's snapshots, and containerd then skips fetching those layers, so the mirror
// would never see them.
func RemoveImage(ctx context.Context, n nodes.Node, image string) error {
	script := `for i in $(seq 75); do
  ctr -n k8s.io containers ls 2>/dev/null | awk -v img="$1" '$2==img {f=1} END {exit !f}' || break
  sleep 0.2
done
d=$(ctr -n k8s.io images ls 2>/dev/null | awk -v img="$1" '$1==img {print $3}')
[ -n "$d" ] || exit 0
ctr -n k8s.io images ls 2>/dev/null | awk -v d="$d" '$3==d {print $1}' | xargs -r ctr -n k8s.io images rm --sync >/dev/null`
	if _, err := run(ctx, n, "", "sh", "-c", script, "sh", image); err != nil {
		return fmt.Errorf("remove image %s: %w", image, err)
	}
	return nil
}

// TriedNextHost reports whether containerd on the node logged "trying next host" for a
// registry host since a time: containerd's own word that it went past a mirror.
func TriedNextHost(ctx context.Context, n nodes.Node, since time.Time, host string) (bool, error) {
	out, err := run(ctx, n, "", "journalctl", "-u", "containerd", "--no-pager", "-o", "cat",
		"--since", "@"+fmt.Sprint(since.Add(-time.Second).Unix()))
	if err != nil {
		return false, fmt.Errorf("read containerd's log: %w", err)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "trying next host") && strings.Contains(line, host) {
			return true, nil
		}
	}
	return false, nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}
