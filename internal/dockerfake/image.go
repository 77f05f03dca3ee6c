package dockerfake

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"maps"
	"slices"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"
)

// Image describes an image the engine has, or can pull.
type Image struct {
	// Registry marks a registry image: its containers serve the registry API and
	// metrics on the ports they publish (as do containers kdev labels as registries).
	Registry bool
	// Volumes are the paths the image declares VOLUME for: a container that mounts
	// nothing there gets an anonymous volume.
	Volumes []string
	// Files are the image's files, which its containers start with.
	Files map[string][]byte
}

type image struct {
	id, ref string
	Image
}

// AddImage puts an image on the engine, as a `docker pull` or `docker load` would.
func (f *Fake) AddImage(ref string, img Image) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.addImage(ref, img)
}

// AddRegistryImage puts a registry image on the engine: it declares VOLUME
// /var/lib/registry, as distribution's image does.
func (f *Fake) AddRegistryImage(ref string) {
	f.AddImage(ref, Image{Registry: true, Volumes: []string{"/var/lib/registry"}})
}

// AllowPull makes ImagePull of ref succeed, and put img on the engine. Without it, a
// pull fails as on a machine that cannot reach the registry.
func (f *Fake) AllowPull(ref string, img Image) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pullable[ref] = img
}

// HasImage reports whether ref is on the engine.
func (f *Fake) HasImage(ref string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.images[ref] != nil
}

func (f *Fake) addImage(ref string, img Image) {
	img.Volumes, img.Files = slices.Clone(img.Volumes), maps.Clone(img.Files)
	f.images[ref] = &image{id: "sha256:" + f.newID("image"), ref: ref, Image: img}
}

// ImageInspect answers for an image on the engine, and not-found for any other.
func (f *Fake) ImageInspect(ctx context.Context, ref string, _ ...client.ImageInspectOption) (client.ImageInspectResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(ctx, false, "ImageInspect", ref); err != nil {
		return client.ImageInspectResult{}, err
	}
	img := f.images[ref]
	if img == nil {
		return client.ImageInspectResult{}, daemonErr(cerrdefs.ErrNotFound, "No such image: %s", ref)
	}
	res := client.ImageInspectResult{}
	res.ID, res.RepoTags = img.id, []string{ref}
	return res, nil
}

// ImagePull puts a pullable image (AllowPull) on the engine; any other fails as the
// engine does offline.
func (f *Fake) ImagePull(ctx context.Context, ref string, _ client.ImagePullOptions) (client.ImagePullResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(ctx, true, "ImagePull", ref); err != nil {
		return nil, err
	}
	img, ok := f.pullable[ref]
	if !ok {
		host := "registry-1.docker.io"
		if first, _, found := strings.Cut(ref, "/"); found && (strings.ContainsAny(first, ".:") || first == "localhost") {
			host = first
		}
		return nil, daemonErr(cerrdefs.ErrUnknown, `Get "https://%s/v2/": dial tcp: lookup %s: no such host`, host, host)
	}
	f.addImage(ref, img)
	msgs := []jsonstream.Message{{Status: "Pulling from " + ref}, {Status: "Status: Downloaded newer image for " + ref}}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, m := range msgs {
		_ = enc.Encode(m)
	}
	return &pullResponse{ReadCloser: io.NopCloser(&buf), msgs: msgs}, nil
}

type pullResponse struct {
	io.ReadCloser
	msgs []jsonstream.Message
}

func (p *pullResponse) JSONMessages(context.Context) iter.Seq2[jsonstream.Message, error] {
	return func(yield func(jsonstream.Message, error) bool) {
		for _, m := range p.msgs {
			if !yield(m, nil) {
				return
			}
		}
	}
}

func (p *pullResponse) Wait(context.Context) error { return p.Close() }

// Ping answers as a Linux engine of API 1.51.
func (f *Fake) Ping(ctx context.Context, _ client.PingOptions) (client.PingResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(ctx, false, "Ping"); err != nil {
		return client.PingResult{}, err
	}
	return client.PingResult{APIVersion: "1.51", OSType: "linux"}, nil
}

// savedImage is how ImageSave writes an image of the fake, and ImageLoad reads it.
type savedImage struct {
	Ref string
	Image
}

// ImageSave writes the images as a tar that ImageLoad reads back: Docker's
// manifest.json, and the fake's own description of each image.
func (f *Fake) ImageSave(ctx context.Context, refs []string, _ ...client.ImageSaveOption) (client.ImageSaveResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(ctx, false, "ImageSave", refs...); err != nil {
		return nil, err
	}
	var saved []savedImage
	for _, ref := range refs {
		img := f.images[ref]
		if img == nil {
			return nil, daemonErr(cerrdefs.ErrNotFound, "No such image: %s", ref)
		}
		saved = append(saved, savedImage{Ref: ref, Image: img.Image})
	}
	manifest, _ := json.Marshal([]map[string]any{{"RepoTags": refs}})
	images, _ := json.Marshal(saved)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range []struct {
		name string
		body []byte
	}{{"manifest.json", manifest}, {"dockerfake.json", images}} {
		if err := tw.WriteHeader(&tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.body)), Typeflag: tar.TypeReg}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.body); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return io.NopCloser(&buf), nil
}

// ImageLoad reads a tar written by ImageSave and puts its images on the engine. What
// is not such a tar is refused, as Docker refuses a tar that is not an image archive.
func (f *Fake) ImageLoad(ctx context.Context, input io.Reader, _ ...client.ImageLoadOption) (client.ImageLoadResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(ctx, true, "ImageLoad"); err != nil {
		return nil, err
	}
	var saved []savedImage
	tr := tar.NewReader(input)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, daemonErr(cerrdefs.ErrInvalidArgument, "Error processing tar file: %v", err)
		}
		if h.Name == "dockerfake.json" {
			if err := json.NewDecoder(tr).Decode(&saved); err != nil {
				return nil, daemonErr(cerrdefs.ErrInvalidArgument, "invalid image archive: %v", err)
			}
		}
	}
	if saved == nil {
		return nil, daemonErr(cerrdefs.ErrInvalidArgument, "open /var/lib/docker/tmp/docker-import/repositories: no such file or directory")
	}
	var out strings.Builder
	for _, s := range saved {
		f.addImage(s.Ref, s.Image)
		fmt.Fprintf(&out, "{\"stream\":\"Loaded image: %s\\n\"}\n", s.Ref)
	}
	return io.NopCloser(strings.NewReader(out.String())), nil
}
