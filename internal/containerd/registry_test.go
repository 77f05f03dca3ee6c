package containerd

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const certsD = "/etc/containerd/certs.d"

// TestParseRealDumps reads real `containerd config dump` outputs (testdata/dumps, made
// by gen.sh there from containerd's own modules): kind's config as is ("kind"), with
// kdev's config_path patch ("kdev"), a native version-3 config, and 2.3's defaults.
func TestParseRealDumps(t *testing.T) {
	for _, tc := range []struct {
		file          string
		configVersion int
		section       string
		dirs          []string
		defaulted     bool
		transfer      bool
		reads         bool
	}{
		{"containerd-1.6.36-kind.toml", 2, cri, nil, false, false, false},
		{"containerd-1.6.36-kdev.toml", 2, cri, []string{certsD}, false, false, true},
		{"containerd-1.7.35-kind.toml", 2, cri, nil, false, false, false},
		{"containerd-1.7.35-kdev.toml", 2, cri, []string{certsD}, false, false, true},
		// 2.0 migrates kind's version-2 file to version 3 and has no default config_path.
		{"containerd-2.0.14-kind.toml", 3, images, nil, false, false, false},
		{"containerd-2.0.14-kdev.toml", 3, images, []string{certsD}, false, false, true},
		// 2.2 and later default to a list that includes certs.d; kind's config makes CRI
		// pull locally (discard_unpacked_layers), and local pull splits the list.
		{"containerd-2.2.9-kind.toml", 3, images, []string{certsD, "/etc/docker/certs.d"}, true, false, true},
		{"containerd-2.2.9-kdev.toml", 3, images, []string{certsD}, false, false, true},
		{"containerd-2.3.4-kind.toml", 3, images, []string{certsD, "/etc/docker/certs.d"}, true, false, true},
		{"containerd-2.3.4-kdev.toml", 3, images, []string{certsD}, false, false, true},
		// A native version-3 config without kind's settings pulls through the transfer
		// service, which reads a single directory.
		{"containerd-2.3.4-kdev-v3.toml", 3, images, []string{certsD}, false, true, true},
		// containerd's own defaults: the transfer service and the default list, which it
		// reads as one directory (containerd issue 12808): no hosts.toml is ever read.
		{"containerd-2.3.4-default.toml", 3, images, []string{certsD, "/etc/docker/certs.d"}, true, true, false},
	} {
		t.Run(tc.file, func(t *testing.T) {
			dump, err := os.ReadFile(filepath.Join("testdata", "dumps", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			version := regexp.MustCompile(`\d+\.\d+\.\d+`).FindString(tc.file)
			r, err := Parse(dump, "containerd github.com/containerd/containerd v"+version+" kdev")
			if err != nil {
				t.Fatal(err)
			}
			if r.Version != version || r.ConfigVersion < tc.configVersion || r.Section != tc.section ||
				strings.Join(r.Dirs, ":") != strings.Join(tc.dirs, ":") || r.Defaulted != tc.defaulted || r.Transfer != tc.transfer {
				t.Errorf("Parse = %+v\nwant version %s, config version >= %d, section %s, dirs %q, defaulted %v, transfer %v",
					r, version, tc.configVersion, tc.section, tc.dirs, tc.defaulted, tc.transfer)
			}
			reads, why := r.Reads(certsD)
			if reads != tc.reads || (why == "") != reads {
				t.Errorf("Reads(%s) = %v, %q; want %v, with a reason exactly when false", certsD, reads, why, tc.reads)
			}
		})
	}
}

const (
	cri    = `plugins."io.containerd.grpc.v1.cri".registry`
	images = `plugins."io.containerd.cri.v1.images".registry`
)

func TestParseShapes(t *testing.T) {
	v23 := "containerd github.com/containerd/containerd/v2 v2.3.4 kdev"
	for _, tc := range []struct {
		name, dump, version string
		shapeErr            bool
		reads               bool
		why                 string
	}{
		{"transfer service with an explicit list", "version = 3\n[plugins.'io.containerd.cri.v1.images'.registry]\n  config_path = '/etc/containerd/certs.d:/etc/docker/certs.d'\n",
			v23, false, false, "issue 12808"},
		{"local pull with an explicit list", "version = 3\n[plugins.'io.containerd.cri.v1.images']\n  use_local_image_pull = true\n[plugins.'io.containerd.cri.v1.images'.registry]\n  config_path = '/etc/docker/certs.d:/etc/containerd/certs.d'\n",
			v23, false, true, ""},
		{"another directory", "version = 3\n[plugins.'io.containerd.cri.v1.images'.registry]\n  config_path = '/etc/containerd/elsewhere.d'\n",
			v23, false, false, "does not include"},
		{"legacy mirrors: no default, local pull", "version = 3\n[plugins.'io.containerd.cri.v1.images'.registry.mirrors.'docker.io']\n  endpoint = ['http://m:5000']\n",
			v23, false, false, "not set"},
		{"Debian's version line", "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".registry]\n  config_path = \"/etc/containerd/certs.d\"\n",
			"containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+b1", false, true, ""},
		{"an unknown version is read as the newest behaviour", "version = 3\n[plugins.'io.containerd.cri.v1.images'.registry]\n  config_path = ''\n",
			"", false, false, "issue 12808"},
		{"not TOML", "version = = 3", v23, true, false, ""},
		{"no images plugin in a version-3 dump", "version = 3\n[plugins.'io.containerd.grpc.v1.cri']\n  x = 1\n", v23, true, false, ""},
		{"config_path not a string", "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".registry]\n  config_path = 3\n", v23, true, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Parse([]byte(tc.dump), tc.version)
			if tc.shapeErr {
				if !errors.Is(err, ErrShape) {
					t.Fatalf("Parse error = %v, want ErrShape", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			reads, why := r.Reads(certsD)
			if reads != tc.reads || !strings.Contains(why, tc.why) || (why == "") != reads {
				t.Fatalf("Reads = %v, %q; want %v, reason containing %q (%+v)", reads, why, tc.reads, tc.why, r)
			}
		})
	}
}

func TestParseVersion(t *testing.T) {
	for line, want := range map[string]string{
		"containerd github.com/containerd/containerd/v2 v2.3.4 1b2c3d":                  "2.3.4",
		"containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+b1":        "1.6.20",
		"containerd containerd.io 1.7.27 05044ec0a9a75232cad458027ca83437aae3f4da":      "1.7.27",
		"bash: containerd: command not found":                                           "",
		"containerd github.com/containerd/containerd/v2 v2.1.0-beta.0-12-gabc1234 abc1": "2.1.0",
	} {
		if _, _, got := parseVersion(line); got != want {
			t.Errorf("parseVersion(%q) = %q, want %q", line, got, want)
		}
	}
}
