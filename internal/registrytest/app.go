package registrytest

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"
)

// BuildStatic compiles a Go main package into a static Linux binary, for images that
// run with nothing else in them.
func BuildStatic(pkgDir, goarch string) ([]byte, error) {
	out := filepath.Join(os.TempDir(), fmt.Sprintf("kdev-app-%d", time.Now().UnixNano()))
	defer os.Remove(out)
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", out, ".")
	cmd.Dir = pkgDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch)
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build %s: %w\n%s", pkgDir, err, b)
	}
	return os.ReadFile(out)
}

// NewAppImage makes a runnable image: one uncompressed tar layer holding files (path
// to content, all executable) and an id file, with entrypoint; unique makes both the
// layer and the config unique.
// containerd checks each layer against the config's diff_ids, so they are real.
func NewAppImage(files map[string][]byte, entrypoint []string, goarch, unique string) (*Image, error) {
	var layer bytes.Buffer
	tw := tar.NewWriter(&layer)
	// The id file makes the layer itself unique: containerd keeps one copy of a layer
	// per node, so images sharing it would fetch it through only one of their registries.
	files = maps.Clone(files)
	files["id"] = []byte(unique)
	names := slices.Sorted(maps.Keys(files))
	for _, name := range names {
		content := files[name]
		hdr := &tar.Header{Name: name, Mode: 0o755, Size: int64(len(content)), ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(content); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	cfg := map[string]any{
		"architecture": goarch,
		"os":           "linux",
		"config":       map[string]any{"Entrypoint": entrypoint, "Labels": map[string]string{"dev.kdev.test": unique}},
		"rootfs":       map[string]any{"type": "layers", "diff_ids": []string{Digest(layer.Bytes())}},
	}
	img := &Image{Layers: [][]byte{layer.Bytes()}}
	var err error
	if img.Config, err = json.Marshal(cfg); err != nil {
		return nil, err
	}
	m := manifest{SchemaVersion: 2, MediaType: mediaManifest, Config: desc(mediaConfig, img.Config),
		Layers: []descriptor{desc(mediaLayer, layer.Bytes())}}
	if img.Manifest, err = json.Marshal(m); err != nil {
		return nil, err
	}
	img.Digest = Digest(img.Manifest)
	return img, nil
}
