package cluster

import (
	"fmt"
	"strings"
	"time"

	"github.com/kdev-dev/kdev/internal/containerd"
	"github.com/kdev-dev/kdev/templates"
)

// The parsers of what the commands in nodeops.go print. Each is tested against an
// output captured from a real node or tool (testdata/nodeops).

// parseWiring reads readWiringScript's sections.
func parseWiring(out string) Wiring {
	w := Wiring{Files: map[string]string{}}
	var version, dump string
	for _, sec := range strings.Split(out, "\036")[1:] {
		head, body, _ := strings.Cut(sec, "\n")
		switch {
		case strings.HasPrefix(head, "F "):
			w.Files[strings.TrimPrefix(head, "F ")] = body
		case head == "OURS":
			w.Ours = strings.Fields(body)
		case head == "VERSION":
			version = strings.TrimSpace(body)
		case head == "CONFIG":
			dump = body
		}
	}
	w.Containerd = readContainerd(dump, version)
	return w
}

func readContainerd(dump, version string) Containerd {
	if strings.TrimSpace(dump) == "" {
		return Containerd{Err: fmt.Errorf("`containerd config dump` printed nothing (containerd says %q): is containerd's config valid?", version)}
	}
	reg, err := containerd.Parse([]byte(dump), version)
	if err != nil {
		return Containerd{Err: fmt.Errorf("read containerd's configuration: %w", err)}
	}
	c := Containerd{Registry: reg}
	c.Reads, c.Why = reg.Reads(templates.CertsDir)
	return c
}

// parseReach reads Resolve's lines, "ok <host>" or "fail <host>", and "ok local" last
// when the local registry was asked.
func parseReach(out string, local bool) Reach {
	r := Reach{Resolves: map[string]bool{}}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if local && len(lines) > 0 {
		r.Local = lines[len(lines)-1] == "ok local"
		lines = lines[:len(lines)-1]
	}
	for _, line := range lines {
		if h, ok := strings.CutPrefix(line, "ok "); ok {
			r.Resolves[h] = true
		}
	}
	return r
}

// parseTriedNextHost reads containerd's log (journalctl -o cat) for "trying next host"
// lines that name one of hosts.
func parseTriedNextHost(log string, hosts []string) map[string]bool {
	tried := map[string]bool{}
	for _, line := range strings.Split(log, "\n") {
		if !strings.Contains(line, "trying next host") {
			continue
		}
		for _, h := range hosts {
			if strings.Contains(line, h) {
				tried[h] = true
			}
		}
	}
	return tried
}

// containerState is one canary container's line of podStatusPath.
type containerState struct {
	index   int
	pulled  bool
	failed  bool
	message string
}

// parsePodStatus reads podStatusPath's lines for containers c0...c<n-1>: a container is
// pulled once its image has an ID or the kubelet refused to create it (after the pull),
// failed when the pull was refused; a container still pulling has no entry.
func parsePodStatus(out string, n int) []containerState {
	var states []containerState
	for _, line := range strings.Split(out, "\n") {
		f := strings.SplitN(line, "|", 4)
		var i int
		if len(f) != 4 || !strings.HasPrefix(f[0], "c") {
			continue
		}
		if _, err := fmt.Sscanf(f[0], "c%d", &i); err != nil || i < 0 || i >= n {
			continue
		}
		switch {
		case f[1] == "CreateContainerConfigError" || f[2] != "":
			states = append(states, containerState{index: i, pulled: true})
		case f[1] == "ErrImagePull" || f[1] == "ImagePullBackOff" || f[1] == "InvalidImageName":
			states = append(states, containerState{index: i, failed: true, message: firstLine(f[3])})
		}
	}
	return states
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

// controlPlaneIsReady reads controlPlaneReady's statuses: every one True, and at least one.
func controlPlaneIsReady(out string) bool {
	return strings.TrimSpace(out) != "" && !strings.Contains(out, "False") && !strings.Contains(out, "Unknown")
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}
