package cluster

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/kind/pkg/cluster/nodeutils"

	"github.com/kdev-dev/kdev/templates"
)

// Every command kdev runs inside a node is here, as an operation of kindNode; what
// each prints is read by a parser in nodeparse.go, tested on captured outputs.

// run executes a command in a node and returns its standard output; its error carries
// what the command printed.
func (k kindNode) run(ctx context.Context, stdin string, cmd string, args ...string) (string, error) {
	var out, errb bytes.Buffer
	c := k.n.CommandContext(ctx, cmd, args...).SetStdout(&out).SetStderr(&errb)
	if stdin != "" {
		c.SetStdin(strings.NewReader(stdin))
	}
	if err := c.Run(); err != nil {
		return out.String(), fmt.Errorf("%s: %s %s: %w: %s", k.Name(), cmd, strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}

// script runs a shell script with args as $1...
func (k kindNode) script(ctx context.Context, stdin, script string, args ...string) (string, error) {
	return k.run(ctx, stdin, "sh", append([]string{"-c", script, "sh"}, args...)...)
}

// readWiringScript prints, each after a \036 header, the files asked for, the files
// kdev wrote (its marker in hosts.toml, its CA file's name), containerd's version and
// its effective configuration.
const readWiringScript = `for f in "$@"; do printf '\036F %s\n' "$f"; cat "$f" 2>/dev/null; done
printf '\036OURS\n'; grep -l '` + Marker + `' ` + templates.CertsDir + `/*/hosts.toml 2>/dev/null; ls ` + templates.CertsDir + `/*/` + templates.CAFileName + ` 2>/dev/null
printf '\036VERSION\n'; containerd --version 2>&1
printf '\036CONFIG\n'; containerd config dump 2>/dev/null`

func (k kindNode) ReadWiring(ctx context.Context, paths []string) (Wiring, error) {
	out, err := k.script(ctx, "", readWiringScript, paths...)
	if err != nil && !strings.Contains(out, "\036CONFIG\n") {
		return Wiring{}, fmt.Errorf("read containerd wiring: %w", err)
	}
	return parseWiring(out), nil
}

func (k kindNode) WriteFile(ctx context.Context, path, content string) error {
	_, err := k.script(ctx, content, `mkdir -p "$(dirname "$1")" && cat > "$1.kdev" && mv "$1.kdev" "$1"`, path)
	return err
}

func (k kindNode) RemoveFile(ctx context.Context, path string) error {
	_, err := k.run(ctx, "", "rm", "-f", path)
	return err
}

func (k kindNode) ReadFile(ctx context.Context, path string) (string, error) {
	return k.script(ctx, "", `cat "$1" 2>/dev/null || true`, path)
}

// resolveScript prints "ok <host>" or "fail <host>" per argument, then "ok local" or
// "fail local" when localURL is not "".
func resolveScript(localURL string) string {
	s := `for h in "$@"; do getent hosts "$h" >/dev/null && echo "ok $h" || echo "fail $h"; done`
	if localURL != "" {
		s += "\n" + `curl -s -o /dev/null -m 3 ` + localURL + ` && echo "ok local" || echo "fail local"`
	}
	return s
}

func (k kindNode) Resolve(ctx context.Context, hosts []string, localURL string) (Reach, error) {
	out, err := k.script(ctx, "", resolveScript(localURL), hosts...)
	if err != nil {
		return Reach{}, err
	}
	return parseReach(out, localURL != ""), nil
}

// probeScript asks every upstream (arguments by threes: URL, CA file, proxy
// environment) at once, each in a subshell with curl's -m timeout (fractions of a
// second kept), and prints "<http code> <seconds> <url>".
func probeScript(timeout time.Duration) string {
	return fmt.Sprintf(`while [ $# -ge 3 ]; do
  u=$1 ca=$2 envs=$3; shift 3
  (
    opt=""
    if [ -n "$ca" ] && [ -f "$ca" ]; then
      b=$(mktemp); cat /etc/ssl/certs/ca-certificates.crt "$ca" > "$b" 2>/dev/null; opt="--cacert $b"
    fi
    out=$(env $envs curl -s -o /dev/null -m %s $opt -w '%%{http_code} %%{time_total}' "$u/v2/" 2>/dev/null)
    echo "$out $u"
  ) &
done
wait`, strconv.FormatFloat(timeout.Seconds(), 'f', -1, 64))
}

func (k kindNode) ProbeUpstreams(ctx context.Context, ups []Upstream, timeout time.Duration) (map[string]string, error) {
	if len(ups) == 0 {
		return map[string]string{}, nil
	}

	var args, urls []string
	for _, u := range ups {
		args = append(args, u.URL, u.CAFile, strings.Join(u.Env, " "))
		urls = append(urls, u.URL)
	}
	out, err := k.script(ctx, "", probeScript(timeout), args...)
	if err != nil {
		return nil, fmt.Errorf("probe upstreams: %w", err)
	}
	return parseProbe(out, urls, timeout), nil
}

func (k kindNode) RemoveImages(ctx context.Context, images []string) error {
	// Every name that points at an image's digest goes, so nothing keeps its content.
	s := `ls=$(ctr -n k8s.io images ls 2>/dev/null)
for img in "$@"; do
  d=$(printf '%s\n' "$ls" | awk -v img="$img" '$1 == img {print $3}')
  [ -n "$d" ] && printf '%s\n' "$ls" | awk -v d="$d" '$3 == d {print $1}'
done | sort -u | xargs -r ctr -n k8s.io images rm --sync >/dev/null`
	if _, err := k.script(ctx, "", s, images...); err != nil {
		return fmt.Errorf("remove %s: %w", strings.Join(images, ", "), err)
	}
	return nil
}

func (k kindNode) TriedNextHost(ctx context.Context, since time.Time, hosts []string) (map[string]bool, error) {
	out, err := k.run(ctx, "", "journalctl", "-u", "containerd", "--no-pager", "-o", "cat",
		"--since", "@"+fmt.Sprint(since.Add(-time.Second).Unix()))
	if err != nil {
		return nil, fmt.Errorf("read containerd's log: %w", err)
	}
	return parseTriedNextHost(out, hosts), nil
}

// kubeconfigInNode is the admin kubeconfig kubeadm writes on every control-plane node.
const kubeconfigInNode = "/etc/kubernetes/admin.conf"

func (k kindNode) Kubectl(ctx context.Context, stdin string, args ...string) (string, error) {
	return k.run(ctx, stdin, "kubectl", append([]string{"--kubeconfig", kubeconfigInNode}, args...)...)
}

func (k kindNode) PullViaPod(ctx context.Context, node string, images []string, pod string) ([]PodPull, error) {
	return pullViaPod(ctx, k, node, images, pod)
}

func (k kindNode) Readyz(ctx context.Context) (string, error) {
	// curl is a third of kubectl's cost; /readyz is public unless anonymous access is
	// off, and then kubectl asks with the admin's credentials.
	s := `out=$(curl -sk -m 5 https://127.0.0.1:6443/readyz 2>/dev/null)
if [ "$out" = ok ]; then echo ok; else kubectl --kubeconfig "$1" get --raw /readyz; fi`
	out, err := k.script(ctx, "", s, kubeconfigInNode)
	return strings.TrimSpace(out), err
}

func (k kindNode) KubeconfigWritten(ctx context.Context) (bool, error) {
	out, err := k.script(ctx, "", `test -s "$1" && echo yes || echo no`, kubeconfigInNode)
	if err != nil {
		return false, err
	}
	return strings.TrimSpace(out) == "yes", nil
}

// The kubectl commands of the canary pulls and of kdev's own wait for Ready.

// podStatusPath prints one line per container: "<name>|<waiting reason>|<imageID>|<waiting message>".
const podStatusPath = `jsonpath={range .status.containerStatuses[*]}{.name}|{.state.waiting.reason}|{.imageID}|{.state.waiting.message}{"\n"}{end}`

func podStatus(ctx context.Context, cp Node, pod string) (string, error) {
	return cp.Kubectl(ctx, "", "get", "pod", "-n", canaryNamespace, pod, "-o", podStatusPath)
}

func applyPod(ctx context.Context, cp Node, manifest string) error {
	_, err := cp.Kubectl(ctx, manifest, "apply", "-f", "-")
	return err
}

func deletePod(ctx context.Context, cp Node, pod string) {
	_, _ = cp.Kubectl(ctx, "", "delete", "pod", "-n", canaryNamespace, pod, "--wait=false", "--grace-period=0", "--force", "--ignore-not-found")
}

// pulledEvents returns the messages of the kubelet's "Pulled" events of a pod, one a line.
func pulledEvents(ctx context.Context, cp Node, pod string) (string, error) {
	return cp.Kubectl(ctx, "", "get", "events", "-n", canaryNamespace,
		"--field-selector", "involvedObject.name="+pod+",reason=Pulled", "-o", `jsonpath={range .items[*]}{.message}{"\n"}{end}`)
}

// controlPlaneReady returns the Ready conditions' statuses of the control-plane nodes,
// space-separated ("True True").
func controlPlaneReady(ctx context.Context, cp Node) (string, error) {
	return cp.Kubectl(ctx, "", "get", "nodes", "--selector=node-role.kubernetes.io/control-plane",
		"-o=jsonpath={.items..status.conditions[?(@.type=='Ready')].status}")
}

// LoadImageArchive imports an image archive into a kind node's containerd.
func LoadImageArchive(n Node, archive io.Reader) error {
	k, ok := n.(kindNode)
	if !ok {
		return fmt.Errorf("node %s is not a kind node", n.Name())
	}
	return nodeutils.LoadImageArchive(k.n, archive)
}
