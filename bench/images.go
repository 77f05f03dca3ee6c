package main

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"time"

	"github.com/kdev-dev/kdev/internal/registrytest"
)

// benchImage is one generated image and where it lives.
type benchImage struct {
	Registry string // docker.io
	Repo     string // bench/app1
	Tag      string
	Image    *registrytest.Image
}

func (b benchImage) Ref() string { return b.Registry + "/" + b.Repo + ":" + b.Tag }

// imageSet makes n images of about totalMB in all, as real images are: the images of
// one registry start with the same two base layers (the program and a "distro" layer
// of a tenth of the set, as an organisation's images share its base image), then have
// 3 to 10 layers of their own. Registries do not share layers: a layer shared across
// registries is cached only by the mirror that fetched it first, so which mirror holds
// it after a cold run depends on the order of the pulls, and the warm runs would
// measure that order (docs/BENCHMARKS.md). Content is pseudo-random (incompressible)
// from a fixed seed, so the set is the same on every run. hello is the program pods run.
func imageSet(n, totalMB int, registries []string, hello []byte) ([]benchImage, error) {
	rng := rand.New(rand.NewChaCha8([32]byte{'k', 'd', 'e', 'v'}))
	used := min(n, len(registries))
	bases := make([][][]byte, used)
	baseBytes := 0
	for r := range bases {
		bases[r] = [][]byte{
			tarOf(map[string][]byte{"hello": hello, "etc/registry": []byte(registries[r])}),
			tarOf(map[string][]byte{"base/data": random(rng, totalMB<<20/10)}),
		}
		baseBytes += len(bases[r][1])
	}
	own := max(totalMB<<20-baseBytes, totalMB<<20/10) / n
	var out []benchImage
	for i := range n {
		extra := 3 + i*7/max(n-1, 1) // 3..10 layers of its own
		layers := append([][]byte{}, bases[i%used]...)
		for j := range extra {
			layers = append(layers, tarOf(map[string][]byte{fmt.Sprintf("app/%d", j): random(rng, own/extra)}))
		}
		img, err := assemble(layers)
		if err != nil {
			return nil, err
		}
		out = append(out, benchImage{Registry: registries[i%len(registries)], Repo: fmt.Sprintf("bench/app%d", i+1), Tag: "v1", Image: img})
	}
	return out, nil
}

func random(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := 0; i < n; i += 8 {
		v := rng.Uint64()
		for k := 0; k < 8 && i+k < n; k++ {
			b[i+k] = byte(v >> (8 * k))
		}
	}
	return b
}

func tarOf(files map[string][]byte) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, content := range files {
		_ = tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: int64(len(content)), ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg})
		_, _ = tw.Write(content)
	}
	_ = tw.Close()
	return buf.Bytes()
}

type desc struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int               `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

const (
	ociManifest = "application/vnd.oci.image.manifest.v1+json"
	ociConfig   = "application/vnd.oci.image.config.v1+json"
	ociLayer    = "application/vnd.oci.image.layer.v1.tar"
)

// assemble writes the config and manifest of an image made of uncompressed layers.
func assemble(layers [][]byte) (*registrytest.Image, error) {
	var diffIDs []string
	var ds []desc
	for _, l := range layers {
		diffIDs = append(diffIDs, registrytest.Digest(l))
		ds = append(ds, desc{MediaType: ociLayer, Digest: registrytest.Digest(l), Size: len(l)})
	}
	cfg, err := json.Marshal(map[string]any{
		"architecture": runtime.GOARCH, "os": "linux",
		"config": map[string]any{"Entrypoint": []string{"/hello"}},
		"rootfs": map[string]any{"type": "layers", "diff_ids": diffIDs},
	})
	if err != nil {
		return nil, err
	}
	man, err := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": ociManifest,
		"config": desc{MediaType: ociConfig, Digest: registrytest.Digest(cfg), Size: len(cfg)}, "layers": ds})
	if err != nil {
		return nil, err
	}
	return &registrytest.Image{Config: cfg, Layers: layers, Manifest: man, Digest: registrytest.Digest(man)}, nil
}

// ociArchive writes every image into one OCI image layout tarball, named by the
// annotation containerd's import reads, for the floor scenario.
func ociArchive(w io.Writer, imgs []benchImage) error {
	tw := tar.NewWriter(w)
	seen := map[string]bool{}
	put := func(name string, b []byte) error {
		if seen[name] {
			return nil
		}
		seen[name] = true
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(b)), ModTime: time.Unix(0, 0)}); err != nil {
			return err
		}
		_, err := tw.Write(b)
		return err
	}
	blob := func(b []byte) error {
		return put("blobs/sha256/"+strings.TrimPrefix(registrytest.Digest(b), "sha256:"), b)
	}
	var index []desc
	for _, im := range imgs {
		for _, b := range append([][]byte{im.Image.Config, im.Image.Manifest}, im.Image.Layers...) {
			if err := blob(b); err != nil {
				return err
			}
		}
		index = append(index, desc{MediaType: ociManifest, Digest: im.Image.Digest, Size: len(im.Image.Manifest),
			Annotations: map[string]string{"io.containerd.image.name": im.Ref(), "org.opencontainers.image.ref.name": im.Tag}})
	}
	idx, err := json.Marshal(map[string]any{"schemaVersion": 2, "manifests": index})
	if err != nil {
		return err
	}
	if err := put("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)); err != nil {
		return err
	}
	if err := put("index.json", idx); err != nil {
		return err
	}
	return tw.Close()
}

// totalBytes is the size of the set's distinct blobs.
func totalBytes(imgs []benchImage) int64 {
	seen := map[string]bool{}
	var n int64
	for _, im := range imgs {
		for _, l := range im.Image.Layers {
			if d := registrytest.Digest(l); !seen[d] {
				seen[d] = true
				n += int64(len(l))
			}
		}
	}
	return n
}
