package cache

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kdev-dev/kdev/internal/dockerfake"
)

// TestImagesRoundTrip: the images an archive carries reach an engine that does not
// have them, and a damaged images entry is refused before anything is loaded.
func TestImagesRoundTrip(t *testing.T) {
	ctx := context.Background()
	from := dockerfake.New()
	from.AddRegistryImage("kdev.local/registry:3")
	from.AddImage("kdev.local/node:v1", dockerfake.Image{Files: map[string][]byte{"/etc/containerd/config.toml": []byte("version = 3\n")}})
	refs := []string{"kdev.local/registry:3", "kdev.local/node:v1"}

	var out bytes.Buffer
	w, err := NewWriter(&out)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.AddImages(ctx, from, refs, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	idx, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	if idx.Images == nil || len(idx.Images.Refs) != 2 || idx.Images.Bytes == 0 {
		t.Fatalf("index images %+v", idx.Images)
	}

	dir := t.TempDir()
	if _, err := Extract(bytes.NewReader(out.Bytes()), dir); err != nil {
		t.Fatal(err)
	}
	to := dockerfake.New()
	loaded, err := LoadImages(ctx, to, dir)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(loaded, " ") != strings.Join(refs, " ") || !to.HasImage("kdev.local/node:v1") || !to.HasImage("kdev.local/registry:3") {
		t.Fatalf("loaded %v; want %v on the engine", loaded, refs)
	}

	flipped := retar(t, out.Bytes(), func(p []byte) []byte {
		i := bytes.Index(p, []byte("RepoTags"))
		p[i] ^= 0x20
		return p
	})
	_, err = Extract(bytes.NewReader(flipped), t.TempDir())
	var de *DamagedError
	if !errors.As(err, &de) || !strings.Contains(err.Error(), "images (kdev.local/registry:3, kdev.local/node:v1) are corrupt") {
		t.Fatalf("Extract of a flipped image byte = %v; want the images named corrupt", err)
	}
}

func TestSameContent(t *testing.T) {
	b, _ := archive(t)
	a1, err := ReadIndex(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := archive(t) // made again, later
	a2, err := ReadIndex(bytes.NewReader(b2))
	if err != nil {
		t.Fatal(err)
	}
	if !SameContent(a1, a2) {
		t.Errorf("two exports of one cache differ: %+v %+v", a1, a2)
	}
	grown := *a2
	grown.Caches = append([]Cache{}, a2.Caches...)
	grown.Caches[0].Blobs++
	if SameContent(a1, &grown) {
		t.Error("a cache with one more blob is the same")
	}
	withImages := *a2
	withImages.Images = &Images{SHA256: "ab"}
	if SameContent(a1, &withImages) {
		t.Error("an archive with images is the same as one without")
	}
	if _, err := ReadIndex(bytes.NewReader(b[:len(b)/2])); err == nil {
		t.Error("ReadIndex of half an archive succeeded")
	}
}
