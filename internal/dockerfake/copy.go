package dockerfake

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// CopyToContainer unpacks a tar archive into the container's files under the
// destination directory; directories are implied by the files' paths.
func (f *Fake) CopyToContainer(ctx context.Context, id string, opts client.CopyToContainerOptions) (client.CopyToContainerResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.findContainer(id)
	if err := f.enter(ctx, true, "CopyToContainer", cname(c, id), opts.DestinationPath); err != nil {
		return client.CopyToContainerResult{}, err
	}
	if err != nil {
		return client.CopyToContainerResult{}, err
	}
	files := map[string][]byte{}
	tr := tar.NewReader(opts.Content)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return client.CopyToContainerResult{}, daemonErr(cerrdefs.ErrInvalidArgument, "Error processing tar file: %v", err)
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return client.CopyToContainerResult{}, daemonErr(cerrdefs.ErrInvalidArgument, "Error processing tar file: %v", err)
		}
		files[path.Join("/", opts.DestinationPath, hdr.Name)] = b
	}
	for p, b := range files { // all or nothing, as extraction into a fresh layer is
		c.files[p] = b
	}
	return client.CopyToContainerResult{}, nil
}

// CopyFromContainer returns a tar archive of a file, or of a directory's files, named
// relative to the path's parent as the engine names them.
func (f *Fake) CopyFromContainer(ctx context.Context, id string, opts client.CopyFromContainerOptions) (client.CopyFromContainerResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.findContainer(id)
	if err := f.enter(ctx, false, "CopyFromContainer", cname(c, id), opts.SourcePath); err != nil {
		return client.CopyFromContainerResult{}, err
	}
	if err != nil {
		return client.CopyFromContainerResult{}, err
	}
	src := path.Clean("/" + opts.SourcePath)
	var names []string
	for p := range c.files {
		if p == src || strings.HasPrefix(p, strings.TrimSuffix(src, "/")+"/") {
			names = append(names, p)
		}
	}
	if len(names) == 0 {
		return client.CopyFromContainerResult{}, daemonErr(cerrdefs.ErrNotFound, "Could not find the file %s in container %s", opts.SourcePath, c.name)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	parent := path.Dir(src)
	var size int64
	for _, p := range names {
		b := c.files[p]
		rel := strings.TrimPrefix(strings.TrimPrefix(p, parent), "/")
		hdr := &tar.Header{Name: rel, Mode: 0o644, Size: int64(len(b)), ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			return client.CopyFromContainerResult{}, err
		}
		if _, err := tw.Write(b); err != nil {
			return client.CopyFromContainerResult{}, err
		}
		size += int64(len(b))
	}
	if err := tw.Close(); err != nil {
		return client.CopyFromContainerResult{}, err
	}
	stat := container.PathStat{Name: path.Base(src), Size: size, Mode: 0o644}
	return client.CopyFromContainerResult{Content: io.NopCloser(&buf), Stat: stat}, nil
}

// ContainerStatPath tells whether a path exists in the container's files (a file, or
// a directory holding some).
func (f *Fake) ContainerStatPath(ctx context.Context, id string, opts client.ContainerStatPathOptions) (client.ContainerStatPathResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.findContainer(id)
	if err := f.enter(ctx, false, "ContainerStatPath", cname(c, id), opts.Path); err != nil {
		return client.ContainerStatPathResult{}, err
	}
	if err != nil {
		return client.ContainerStatPathResult{}, err
	}
	p := path.Clean("/" + opts.Path)
	if b, ok := c.files[p]; ok {
		return client.ContainerStatPathResult{Stat: container.PathStat{Name: path.Base(p), Size: int64(len(b)), Mode: 0o644}}, nil
	}
	for name := range c.files {
		if strings.HasPrefix(name, p+"/") {
			return client.ContainerStatPathResult{Stat: container.PathStat{Name: path.Base(p), Mode: 0o755 | os.ModeDir}}, nil
		}
	}
	return client.ContainerStatPathResult{}, daemonErr(cerrdefs.ErrNotFound, "Could not find the file %s in container %s", opts.Path, c.name)
}

// ContainerLogs returns what the container printed, in the engine's multiplexed
// stream format (all of it on stdout), honouring Tail.
func (f *Fake) ContainerLogs(ctx context.Context, id string, opts client.ContainerLogsOptions) (client.ContainerLogsResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.findContainer(id)
	if err := f.enter(ctx, false, "ContainerLogs", cname(c, id)); err != nil {
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	lines := strings.SplitAfter(string(c.logs), "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if n, err := strconv.Atoi(opts.Tail); err == nil && n >= 0 && n < len(lines) {
		lines = lines[len(lines)-n:]
	}
	var buf bytes.Buffer
	if opts.ShowStdout {
		for _, l := range lines {
			var hdr [8]byte
			hdr[0] = 1 // stdout
			binary.BigEndian.PutUint32(hdr[4:], uint32(len(l)))
			buf.Write(hdr[:])
			buf.WriteString(l)
		}
	}
	return io.NopCloser(&buf), nil
}
