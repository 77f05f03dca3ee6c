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

// PodPull is how the kubelet's pull of one image went.
type PodPull struct {
	Image string
	// Duration is the kubelet's own figure for the pull when it reported one, else the
	// time from the pod's creation until kdev saw the image pulled.
	Duration time.Duration
	Err      error
}

// PullViaPod makes the node's kubelet pull images through CRI, exactly as it pulls any
// pod's image: one pod pinned to the node, one container per image, imagePullPolicy
// Always. No container is ever created: each asks to run as root and as non-root at
// once, which the kubelet refuses (CreateContainerConfigError) only after it has pulled
// the image. So a canary never runs, and no container holds its snapshots afterwards.
// kdev does not use ctr here: ctr ignores the CRI registry config, which is what the
// check must exercise. cp is a control-plane node, for kubectl. The pod is deleted.
func PullViaPod(ctx context.Context, cp, node nodes.Node, images []string, name string) ([]PodPull, error) {
	var containers strings.Builder
	for i, img := range images {
		fmt.Fprintf(&containers, `  - name: c%d
    image: %s
    imagePullPolicy: Always
    securityContext: {runAsNonRoot: true, runAsUser: 0}
`, i, img)
	}
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
  automountServiceAccountToken: false
  enableServiceLinks: false
  tolerations: [{operator: Exists}]
  containers:
%s`, name, canaryNamespace, node.String(), containers.String())
	start := time.Now()
	if _, err := Kubectl(ctx, cp, pod, "apply", "-f", "-"); err != nil {
		return nil, err
	}
	defer func() {
		_, _ = Kubectl(context.WithoutCancel(ctx), cp, "", "delete", "pod", "-n", canaryNamespace, name, "--wait=false", "--grace-period=0", "--force", "--ignore-not-found")
	}()
	out := make([]PodPull, len(images))
	for i, img := range images {
		out[i].Image = img
	}
	ctx, cancel := context.WithTimeout(ctx, pullTimeout)
	defer cancel()
	jsonpath := `{range .status.containerStatuses[*]}{.name}|{.state.waiting.reason}|{.imageID}|{.state.waiting.message}{"\n"}{end}`
	for pending := len(images); pending > 0; {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%s did not pull %s within %s: %w", node, strings.Join(images, ", "), pullTimeout, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
		status, err := Kubectl(ctx, cp, "", "get", "pod", "-n", canaryNamespace, name, "-o", "jsonpath="+jsonpath)
		if err != nil {
			return nil, err
		}
		pending = len(images)
		for _, line := range strings.Split(status, "\n") {
			f := strings.SplitN(line, "|", 4)
			var i int
			if len(f) != 4 || !strings.HasPrefix(f[0], "c") {
				continue
			}
			if _, err := fmt.Sscanf(f[0], "c%d", &i); err != nil || i < 0 || i >= len(images) {
				continue
			}
			switch {
			case f[1] == "CreateContainerConfigError" || f[2] != "":
				if out[i].Duration == 0 {
					out[i].Duration = time.Since(start)
				}
				pending--
			case f[1] == "ErrImagePull" || f[1] == "ImagePullBackOff" || f[1] == "InvalidImageName":
				out[i].Err = fmt.Errorf("%s could not pull %s: %s", node, images[i], firstLine(f[3]))
				pending--
			}
		}
	}
	kubeletDurations(ctx, cp, name, out)
	return out, nil
}

// pullTimeout bounds one pod's pulls: canaries are small.
const pullTimeout = 3 * time.Minute

// kubeletDurations replaces measured durations with the kubelet's own, from its
// "Successfully pulled image "x" in 1.2s (1.2s including waiting)" events: the pulls
// of one pod are queued one after the other, so kdev's own clock counts the queue.
func kubeletDurations(ctx context.Context, cp nodes.Node, pod string, pulls []PodPull) {
	out, err := Kubectl(ctx, cp, "", "get", "events", "-n", canaryNamespace,
		"--field-selector", "involvedObject.name="+pod+",reason=Pulled", "-o", `jsonpath={range .items[*]}{.message}{"\n"}{end}`)
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

// Pulled is what the kubelet's "Pulled" event says of one pull.
type Pulled struct {
	Image string
	Took  time.Duration
	// WithWaiting adds the time the pull waited for the ones before it.
	WithWaiting time.Duration
}

// ParsePulled reads a kubelet event message such as
// `Successfully pulled image "x" in 1.2s (3.4s including waiting). Image size: 5 bytes.`
// false means the message is another one ("already present on machine", ...).
func ParsePulled(msg string) (Pulled, bool) {
	rest, ok := strings.CutPrefix(msg, `Successfully pulled image "`)
	if !ok {
		return Pulled{}, false
	}
	img, rest, ok := strings.Cut(rest, `" in `)
	if !ok {
		return Pulled{}, false
	}
	tok, rest, _ := strings.Cut(rest, " ")
	took, err := time.ParseDuration(tok)
	if err != nil {
		return Pulled{}, false
	}
	p := Pulled{Image: img, Took: took, WithWaiting: took}
	if w, _, ok := strings.Cut(strings.TrimPrefix(rest, "("), " including waiting"); ok {
		if d, err := time.ParseDuration(w); err == nil {
			p.WithWaiting = d
		}
	}
	return p, true
}

// RemoveImages deletes images from the node's CRI store under every name that points at
// them (tag, digest and ID references alike) and collects their content, so that the
// next pull fetches every blob again. PullViaPod creates no container, so none holds
// the images' snapshots; a container of the user's that runs a canary image does, and
// then a pull needs no layer (verify.Judge passes it with a note).
func RemoveImages(ctx context.Context, n nodes.Node, images []string) error {
	script := `ls=$(ctr -n k8s.io images ls 2>/dev/null)
for img in "$@"; do
  d=$(printf '%s\n' "$ls" | awk -v img="$img" '$1 == img {print $3}')
  [ -n "$d" ] && printf '%s\n' "$ls" | awk -v d="$d" '$3 == d {print $1}'
done | sort -u | xargs -r ctr -n k8s.io images rm --sync >/dev/null`
	if _, err := run(ctx, n, "", "sh", append([]string{"-c", script, "sh"}, images...)...); err != nil {
		return fmt.Errorf("remove %s: %w", strings.Join(images, ", "), err)
	}
	return nil
}

// TriedNextHost reports, for each registry host, whether containerd on the node logged
// "trying next host" for it since a time: containerd's own word that it went past a mirror.
func TriedNextHost(ctx context.Context, n nodes.Node, since time.Time, hosts []string) (map[string]bool, error) {
	out, err := run(ctx, n, "", "journalctl", "-u", "containerd", "--no-pager", "-o", "cat",
		"--since", "@"+fmt.Sprint(since.Add(-time.Second).Unix()))
	if err != nil {
		return nil, fmt.Errorf("read containerd's log: %w", err)
	}
	tried := map[string]bool{}
	for _, line := range strings.Split(out, "\n") {
		if !strings.Contains(line, "trying next host") {
			continue
		}
		for _, h := range hosts {
			if strings.Contains(line, h) {
				tried[h] = true
			}
		}
	}
	return tried, nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}
