// Package containerd reads where a node's containerd looks for per-registry hosts.toml
// files, from containerd's own account of its configuration (`containerd config dump`
// and `containerd --version`), parsed as TOML: the dump's shape changes with the
// version (config version 2, 3 or 4; double or single quotes; one directory or a list).
package containerd

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"

	"github.com/BurntSushi/toml"
)

// The CRI plugin sections that hold the registry configuration: containerd 1.x and
// config version 2 keep it in the CRI plugin; 2.x (config version 3 and later) in the
// images plugin, to which it migrates a version-2 file's section.
const (
	criPlugin    = "io.containerd.grpc.v1.cri"
	imagesPlugin = "io.containerd.cri.v1.images"
)

// defaultConfigPath is what containerd 2.2 and later read on Linux when config_path is
// empty and no legacy mirrors are set. Their config dump may not show it: 2.2.1 onwards
// fill it in at plugin start, after the dump's view of the config.
const defaultConfigPath = "/etc/containerd/certs.d:/etc/docker/certs.d"

// ErrShape means the dump is not a shape kdev knows; it is never read as "not set".
var ErrShape = errors.New("unknown containerd config shape")

// Registry is how one containerd finds its registry hosts configuration.
type Registry struct {
	// Version is containerd's version as major.minor.patch ("2.3.4"), or "" if unknown.
	Version string
	// ConfigVersion is the dump's `version`.
	ConfigVersion int
	// Section is the TOML table that holds config_path.
	Section string
	// ConfigPath is the effective value: the dump's, or containerd's default when the
	// dump leaves it empty on a version that has one.
	ConfigPath string
	// Defaulted says ConfigPath is containerd's built-in default, not the file's.
	Defaulted bool
	// Dirs is ConfigPath split into its directories.
	Dirs []string
	// Transfer says CRI pulls go through the transfer service (containerd 2.1 and later,
	// unless the config asks for, or falls back to, CRI's own local pull).
	Transfer bool
}

// Parse reads a `containerd config dump` and the first line of `containerd --version`.
func Parse(dump []byte, versionLine string) (Registry, error) {
	major, minor, version := parseVersion(versionLine)
	var doc map[string]any
	if err := toml.Unmarshal(dump, &doc); err != nil {
		return Registry{}, fmt.Errorf("%w: containerd %s printed a config dump that is not TOML: %w", ErrShape, orUnknown(version), err)
	}
	r := Registry{Version: version, ConfigVersion: 1}
	if v, ok := doc["version"].(int64); ok {
		r.ConfigVersion = int(v)
	}
	plugins, _ := doc["plugins"].(map[string]any)
	plugin := criPlugin
	if r.ConfigVersion >= 3 {
		plugin = imagesPlugin
	}
	section, ok := plugins[plugin].(map[string]any)
	if !ok {
		return Registry{}, fmt.Errorf("%w: containerd %s, config version %d, has no [plugins.%q] section", ErrShape, orUnknown(version), r.ConfigVersion, plugin)
	}
	reg, _ := section["registry"].(map[string]any)
	r.Section = fmt.Sprintf("plugins.%q.registry", plugin)
	if v, present := reg["config_path"]; present {
		if r.ConfigPath, ok = v.(string); !ok {
			return Registry{}, fmt.Errorf("%w: containerd %s: %s.config_path is %T, not a string", ErrShape, orUnknown(version), r.Section, v)
		}
	}
	legacy := hasEntries(reg, "mirrors") || hasEntries(reg, "configs") || hasEntries(reg, "auths")
	if r.ConfigPath == "" && !legacy && atLeast(major, minor, 2, 2) {
		r.ConfigPath, r.Defaulted = defaultConfigPath, true
	}
	r.Dirs = filepath.SplitList(r.ConfigPath)
	r.Transfer = atLeast(major, minor, 2, 1) && plugin == imagesPlugin && !localPull(section, legacy)
	return r, nil
}

// localPull says whether containerd 2.1+ pulls for CRI itself rather than through the
// transfer service: when asked to, or when the config uses a setting the transfer
// service cannot honour (containerd's CheckLocalImagePullConfigs). kind's own config
// sets discard_unpacked_layers, so kind's nodes pull locally.
func localPull(images map[string]any, legacy bool) bool {
	if b, _ := images["use_local_image_pull"].(bool); b || legacy {
		return true
	}
	if b, _ := images["discard_unpacked_layers"].(bool); b {
		return true
	}
	if b, _ := images["image_pull_with_sync_fs"].(bool); b {
		return true
	}
	if n, ok := images["max_concurrent_downloads"].(int64); ok && n != 3 {
		return true
	}
	if b, ok := images["disable_snapshot_annotations"].(bool); ok && !b {
		return true
	}
	return false
}

// Reads says whether CRI pulls read hosts.toml files under dir, and when not, why.
func (r Registry) Reads(dir string) (bool, string) {
	switch {
	case len(r.Dirs) == 0:
		return false, fmt.Sprintf("config_path is not set in %s: containerd reads no hosts.toml", r.Section)
	case !slices.Contains(r.Dirs, dir):
		return false, fmt.Sprintf("config_path is %q in %s: it does not include %s", r.ConfigPath, r.Section, dir)
	case r.Transfer && len(r.Dirs) > 1:
		// containerd issue 12808: the transfer service's resolver takes the whole
		// list as one directory, so no host's hosts.toml is ever found.
		return false, fmt.Sprintf("config_path is the list %q and CRI pulls through the transfer service, which reads it as one directory (containerd issue 12808)", r.ConfigPath)
	}
	return true, ""
}

// PullPath names the code path CRI pulls take, for reports.
func (r Registry) PullPath() string {
	if r.Transfer {
		return "transfer service"
	}
	return "CRI local pull"
}

var versionRE = regexp.MustCompile(`\bv?(\d+)\.(\d+)\.(\d+)`)

// parseVersion reads "containerd github.com/containerd/containerd/v2 v2.3.4 <rev>" and
// Debian's "containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+b1".
func parseVersion(line string) (major, minor int, version string) {
	m := versionRE.FindStringSubmatch(line)
	if m == nil {
		return -1, -1, ""
	}
	major, _ = strconv.Atoi(m[1])
	minor, _ = strconv.Atoi(m[2])
	return major, minor, m[1] + "." + m[2] + "." + m[3]
}

// atLeast compares versions; an unknown version (-1) counts as new, so that a check
// errs on the side of the stricter, newer behaviour.
func atLeast(major, minor, wantMajor, wantMinor int) bool {
	if major < 0 {
		return true
	}
	return major > wantMajor || major == wantMajor && minor >= wantMinor
}

func hasEntries(m map[string]any, key string) bool {
	sub, _ := m[key].(map[string]any)
	return len(sub) > 0
}

func orUnknown(v string) string {
	if v == "" {
		return "(version unknown)"
	}
	return v
}
