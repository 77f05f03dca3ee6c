package cache

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/moby/moby/client"

	"github.com/kdev-dev/kdev/internal/docker"
	"github.com/kdev-dev/kdev/internal/registry"
	"github.com/kdev-dev/kdev/internal/ui"
)

// Merged is what an import added to one cache.
type Merged struct {
	Cache
	Volume string `json:"volume"`
	// Added counts the files the volume lacked, AddedBlobs and AddedBytes the blobs
	// among them; Kept the files it had, left as they were.
	Added      int   `json:"added"`
	AddedBlobs int   `json:"addedBlobs"`
	AddedBytes int64 `json:"addedBytes"`
	Kept       int   `json:"kept"`
}

// Import merges an archive extracted by Extract (dir, idx) into the cache volumes,
// creating those that do not exist. Only what a volume lacks is added, and a file it
// has is never rewritten, so a failure part-way leaves every cached file as it was.
// Blobs go in before the links that make them visible. A mirror that uses a volume is
// stopped while its cache is merged, and started again after.
func Import(ctx context.Context, api docker.API, image, dir string, idx *Index, step func(string) func(string, error)) ([]Merged, error) {
	srcs, err := Sources(ctx, api)
	if err != nil {
		return nil, err
	}
	ours := map[string]bool{}
	for _, s := range srcs {
		ours[s.Volume] = true
	}
	var out []Merged
	for _, c := range idx.Caches {
		m := Merged{Cache: c, Volume: registry.CacheVolumeOf(c.Key)}
		done := step("Cache " + c.Registry + " (" + m.Volume + ")")
		err := importOne(ctx, api, image, filepath.Join(dir, c.Key), &m, ours[m.Volume])
		done(fmt.Sprintf("Cache %s: %d blobs added (%s), %d files already there", c.Registry, m.AddedBlobs, ui.Bytes(m.AddedBytes), m.Kept), err)
		if err != nil {
			return out, err
		}
		out = append(out, m)
	}
	return out, nil
}

func importOne(ctx context.Context, api docker.API, image, src string, m *Merged, exists bool) error {
	if !exists {
		vols, err := api.VolumeList(ctx, client.VolumeListOptions{Filters: make(client.Filters).Add("name", m.Volume)})
		if err != nil {
			return fmt.Errorf("list volumes: %w", err)
		}
		for _, v := range vols.Items {
			if v.Name == m.Volume {
				return fmt.Errorf("volume %s exists and is not a kdev cache: remove or rename it, then import again", m.Volume)
			}
		}
		if _, err := api.VolumeCreate(ctx, client.VolumeCreateOptions{Name: m.Volume, Labels: docker.Labels(docker.RoleCache,
			docker.LabelRegistry, m.Registry, docker.LabelRemote, m.Remote, docker.LabelKey, m.Key)}); err != nil {
			return fmt.Errorf("create volume %s: %w", m.Volume, err)
		}
	}
	files, err := staged(src)
	if err != nil {
		return err
	}
	return withContainer(ctx, api, image, m.Volume, true, func(id string) error {
		var add []string
		for _, rel := range files {
			_, err := api.ContainerStatPath(ctx, id, client.ContainerStatPathOptions{Path: v2Dir + "/" + rel})
			switch {
			case err == nil:
				m.Kept++
				continue
			case !docker.IsNotFound(err):
				return fmt.Errorf("look for %s in volume %s: %w", rel, m.Volume, err)
			}
			add = append(add, rel)
			if blobRE.MatchString(rel) {
				info, err := os.Stat(filepath.Join(src, filepath.FromSlash(rel)))
				if err != nil {
					return err
				}
				m.AddedBlobs++
				m.AddedBytes += info.Size()
			}
		}
		m.Added = len(add)
		if len(add) == 0 {
			return nil
		}
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(writeTar(pw, src, add)) }()
		_, err := api.CopyToContainer(ctx, id, client.CopyToContainerOptions{DestinationPath: dataDir, Content: pr})
		_ = pr.CloseWithError(errors.New("copy ended"))
		if err != nil {
			return fmt.Errorf("write into volume %s: %w (the files it held are unchanged)", m.Volume, err)
		}
		return nil
	})
}

// staged lists the files of one extracted cache, under v2/: blobs first, then the
// repositories' links, each group sorted.
func staged(src string) ([]string, error) {
	var blobs, links []string
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if strings.HasPrefix(rel, "blobs/") {
			blobs = append(blobs, rel)
		} else {
			links = append(links, rel)
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil // an empty cache
	}
	sort.Strings(blobs)
	sort.Strings(links)
	return append(blobs, links...), err
}

// writeTar writes the files (paths under v2/, read from src) as a tar to extract at
// dataDir, each directory before what it holds.
func writeTar(w io.Writer, src string, files []string) error {
	tw := tar.NewWriter(w)
	made := map[string]bool{}
	var mkdirs func(dir string) error
	mkdirs = func(dir string) error {
		if dir == "." || made[dir] {
			return nil
		}
		if err := mkdirs(path.Dir(dir)); err != nil {
			return err
		}
		made[dir] = true
		return tw.WriteHeader(&tar.Header{Name: dir + "/", Typeflag: tar.TypeDir, Mode: 0o755})
	}
	for _, rel := range files {
		name := "docker/registry/v2/" + rel
		if err := mkdirs(path.Dir(name)); err != nil {
			return err
		}
		if err := copyFile(tw, filepath.Join(src, filepath.FromSlash(rel)), name); err != nil {
			return err
		}
	}
	return tw.Close()
}

func copyFile(tw *tar.Writer, from, name string) error {
	f, err := os.Open(from)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: info.Size(), ModTime: info.ModTime()}); err != nil {
		return err
	}
	_, err = io.Copy(tw, f)
	return err
}
