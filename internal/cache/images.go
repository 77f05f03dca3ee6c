package cache

import (
	"archive/tar"
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/kdev-dev/kdev/internal/docker"
)

// imagesName is the entry that holds the images kdev runs, as `docker save` writes
// them, so that a machine that cannot pull them starts from the archive alone.
const imagesName = root + "images.tar"

// Images are the images an archive carries.
type Images struct {
	Refs   []string `json:"refs"`
	Bytes  int64    `json:"bytes"`
	SHA256 string   `json:"sha256"`
}

// AddImages saves refs from the engine into the archive. Docker streams a save without
// its length, which a tar header needs first, so it is spooled to a file in tmp.
func (w *Writer) AddImages(ctx context.Context, api docker.API, refs []string, tmp string) error {
	rc, err := api.ImageSave(ctx, refs)
	if err != nil {
		return fmt.Errorf("save images %s: %w", strings.Join(refs, ", "), err)
	}
	defer rc.Close()
	spool, err := os.CreateTemp(tmp, "kdev-images-*.tar")
	if err != nil {
		return err
	}
	defer os.Remove(spool.Name())
	defer spool.Close()
	hash := sha256.New()
	n, err := io.Copy(io.MultiWriter(spool, hash), rc)
	if err != nil {
		return fmt.Errorf("save images %s: %w", strings.Join(refs, ", "), err)
	}
	if _, err := spool.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if err := w.tw.WriteHeader(&tar.Header{Name: imagesName, Typeflag: tar.TypeReg, Mode: 0o644, Size: n, ModTime: w.idx.Created}); err != nil {
		return err
	}
	if _, err := io.Copy(w.tw, spool); err != nil {
		return err
	}
	w.idx.Images = &Images{Refs: refs, Bytes: n, SHA256: hex.EncodeToString(hash.Sum(nil))}
	return nil
}

// extractImages writes the images' entry into dir and returns its digest and size.
func extractImages(r io.Reader, dir string) (string, int64, error) {
	f, err := os.OpenFile(filepath.Join(dir, "images.tar"), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return "", 0, damaged("it holds %s twice", imagesName)
	}
	defer f.Close()
	hash := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, hash), r)
	if err != nil {
		return "", 0, damaged("%s: %v (cut short?)", imagesName, err)
	}
	return hex.EncodeToString(hash.Sum(nil)), n, f.Close()
}

// LoadImages loads the images an extracted archive carries into the engine, and
// returns what the engine says it loaded.
func LoadImages(ctx context.Context, api docker.API, dir string) ([]string, error) {
	f, err := os.Open(filepath.Join(dir, "images.tar"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	res, err := api.ImageLoad(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("load images: %w", err)
	}
	defer res.Close()
	var loaded []string
	sc := bufio.NewScanner(res)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var msg struct {
			Stream string `json:"stream"`
			Error  string `json:"error"`
		}
		if json.Unmarshal(sc.Bytes(), &msg) != nil {
			continue
		}
		if msg.Error != "" {
			return loaded, fmt.Errorf("load images: %s", msg.Error)
		}
		if ref, ok := strings.CutPrefix(strings.TrimSpace(msg.Stream), "Loaded image: "); ok {
			loaded = append(loaded, ref)
		}
	}
	return loaded, sc.Err()
}
