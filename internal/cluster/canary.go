package cluster

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// canaryNamespace holds the short-lived pods that pull canaries.
const canaryNamespace = "kube-system"

// PodPull is how the kubelet's pull of one image went.
type PodPull struct {
	Image string
	// Duration is the kubelet's own figure for the pull when it reported one, else the
	// time from the pod's creation until kdev saw the image pulled.
	Duration time.Duration
	Err      error
}

// pullViaPod makes the node's kubelet pull images through CRI, exactly as it pulls any
// pod's image: one pod pinned to the node, one container per image, imagePullPolicy
// Always. No container is ever created: each asks to run as root and as non-root at
// once, which the kubelet refuses (CreateContainerConfigError) only after it has pulled
// the image. So a canary never runs, and no container holds its snapshots afterwards.
// kdev does not use ctr here: ctr ignores the CRI registry config, which is what the
// check must exercise. cp is a control-plane node, for kubectl. The pod is deleted.
func pullViaPod(ctx context.Context, cp Node, node string, images []string, name string) ([]PodPull, error) {
	start := time.Now()
	if err := applyPod(ctx, cp, canaryPod(name, node, images)); err != nil {
		return nil, err
	}
	defer deletePod(context.WithoutCancel(ctx), cp, name)
	out := make([]PodPull, len(images))
	for i, img := range images {
		out[i].Image = img
	}
	ctx, cancel := context.WithTimeout(ctx, pullTimeout)
	defer cancel()
	for pending := len(images); pending > 0; {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%s did not pull %s within %s: %w", node, strings.Join(images, ", "), pullTimeout, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
		status, err := podStatus(ctx, cp, name)
		if err != nil {
			return nil, err
		}
		pending = len(images)
		for _, st := range parsePodStatus(status, len(images)) {
			i := st.index
			switch {
			case st.pulled:
				if out[i].Duration == 0 {
					out[i].Duration = time.Since(start)
				}
			case st.failed:
				out[i].Err = fmt.Errorf("%s could not pull %s: %s", node, images[i], st.message)
			}
			pending--
		}
	}
	kubeletDurations(ctx, cp, name, out)
	return out, nil
}

// canaryPod is the pod that pulls images on node.
func canaryPod(name, node string, images []string) string {
	var containers strings.Builder
	for i, img := range images {
		fmt.Fprintf(&containers, `  - name: c%d
    image: %s
    imagePullPolicy: Always
    securityContext: {runAsNonRoot: true, runAsUser: 0}
`, i, img)
	}
	return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %s
  namespace: %s
  labels: {app.kubernetes.io/managed-by: kdev, app.kubernetes.io/component: canary}
spec:
  nodeName: %s
  restartPolicy: Never
  terminationGracePeriodSeconds: 0
  automountServiceAccountToken: false
  enableServiceLinks: false
  tolerations: [{operator: Exists}]
  containers:
%s`, name, canaryNamespace, node, containers.String())
}

// pullTimeout bounds one pod's pulls: canaries are small.
const pullTimeout = 3 * time.Minute

// kubeletDurations replaces measured durations with the kubelet's own, from its
// "Successfully pulled image "x" in 1.2s (1.2s including waiting)" events: the pulls
// of one pod are queued one after the other, so kdev's own clock counts the queue.
func kubeletDurations(ctx context.Context, cp Node, pod string, pulls []PodPull) {
	out, err := pulledEvents(ctx, cp, pod)
	if err != nil {
		return
	}
	for _, line := range strings.Split(out, "\n") {
		p, ok := ParsePulled(line)
		if !ok {
			continue
		}
		for i := range pulls {
			if pulls[i].Image == p.Image && pulls[i].Err == nil {
				pulls[i].Duration = p.Took
			}
		}
	}
}
