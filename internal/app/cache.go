package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kdev-dev/kdev/internal/cache"
	"github.com/kdev-dev/kdev/internal/env"
	"github.com/kdev-dev/kdev/internal/ui"
)

func newCache(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cache",
		Short: "Carry mirror caches to another machine or CI run: export and import archives",
		Args:  noArgs,
	}
	cmd.AddCommand(newCacheList(g), newCacheExport(g), newCacheImport(g), newCachePrune(g))
	return cmd
}

func newCacheExport(g *globals) *cobra.Command {
	var file string
	var o env.ExportOptions
	var ifChanged bool
	cmd := &cobra.Command{
		Use:   "export -o FILE|-",
		Short: "Write this environment's mirror caches into one archive (tar, zstd)",
		Long: `export writes the caches of this environment's mirrors (--all: every kdev cache on
the machine) into one archive, each blob verified against its digest. Mirrors keep
serving while they are read. The archive is written to FILE.partial and renamed to FILE
once complete, so a failed export never leaves a truncated FILE; "-" writes to stdout.

With --if-changed, an existing FILE that holds the same content (the same files and
bytes in each cache, the same images) is kept as it is, and export prints "unchanged"
on stdout; otherwise FILE is replaced and it prints "changed". A CI cache step saves
the archive only on "changed".`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			// Usage first: a mistake is told before Docker is asked anything.
			switch {
			case file == "":
				return usageError{errors.New("kdev cache export needs -o FILE, or -o - for stdout")}
			case file == "-" && ui.IsTerminal(g.streams.Out):
				return usageError{errors.New("refusing to write an archive to a terminal: redirect stdout, or give -o FILE")}
			case file == "-" && ifChanged:
				return usageError{errors.New("--if-changed compares with an existing archive: give -o FILE")}
			}
			return g.withEnv(nil, func(ctx context.Context, e *env.Env, st *ui.Status) error {
				return exportCaches(ctx, e, st, g.streams.Out, file, o, ifChanged)
			})(cmd, args)
		},
	}
	cmd.Flags().StringVarP(&file, "output", "o", "", "the archive to write, or - for stdout (required)")
	cmd.Flags().BoolVar(&o.All, "all", false, "every kdev mirror cache on this machine, not only this environment's")
	cmd.Flags().BoolVar(&ifChanged, "if-changed", false, `keep an existing FILE with the same content, and print "changed" or "unchanged"`)
	cmd.Flags().BoolVar(&o.Images, "images", false, "add the node and registry images kdev runs, so a machine that cannot pull them starts from the archive alone")
	return cmd
}

func exportCaches(ctx context.Context, e *env.Env, st *ui.Status, stdout io.Writer, file string, o env.ExportOptions, ifChanged bool) error {
	if file == "-" {
		_, err := e.ExportCaches(ctx, stdout, o)
		return err
	}
	start := time.Now()
	partial := file + ".partial"
	f, err := os.Create(partial)
	if err != nil {
		return fmt.Errorf("create the archive: %w", err)
	}
	defer os.Remove(partial) // once renamed, there is nothing left to remove
	idx, err := e.ExportCaches(ctx, f, o)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if ifChanged {
		if unchanged(file, idx) {
			st.Info(fmt.Sprintf("%s holds the same caches: kept it", filepath.Base(file)))
			_, err := fmt.Fprintln(stdout, "unchanged")
			return err
		}
	}
	if err := os.Rename(partial, file); err != nil {
		return err
	}
	if ifChanged {
		if _, err := fmt.Fprintln(stdout, "changed"); err != nil {
			return err
		}
	}
	blobs, size := 0, int64(0)
	for _, c := range idx.Caches {
		blobs += c.Blobs
	}
	if info, err := os.Stat(file); err == nil {
		size = info.Size()
	}
	what := fmt.Sprintf("%d caches, %d blobs", len(idx.Caches), blobs)
	if idx.Images != nil {
		what += ", images " + strings.Join(idx.Images.Refs, ", ")
	}
	st.Info(fmt.Sprintf("Wrote %s: %s, %s, in %s", filepath.Base(file), what, ui.Bytes(size), time.Since(start).Round(100*time.Millisecond)))
	return nil
}

func newCacheImport(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "import FILE|-",
		Short: "Merge an archive made by kdev cache export into the mirror caches",
		Long: `import checks the whole archive first (every blob against its digest, the index
against what was read), in a staging directory under TMPDIR, and refuses a damaged or
truncated one before it touches any cache. It then adds to each cache volume what it
lacks, creating the volumes that do not exist; files a cache has are kept as they are.
A mirror is stopped while its cache is merged, and started again. "-" reads stdin.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{fmt.Errorf("%q takes one argument, the archive (or - for stdin)", cmd.CommandPath())}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			r := g.streams.In
			if args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return usageError{fmt.Errorf("open the archive: %w", err)}
				}
				defer f.Close()
				r = f
			}
			return g.withEnv(nil, func(ctx context.Context, e *env.Env, st *ui.Status) error {
				return importCaches(ctx, e, st, r)
			})(cmd, args)
		},
	}
}

func importCaches(ctx context.Context, e *env.Env, st *ui.Status, r io.Reader) error {
	start := time.Now()
	res, err := e.ImportCaches(ctx, r)
	if err != nil {
		return err
	}
	blobs, size := 0, int64(0)
	for _, m := range res.Caches {
		blobs, size = blobs+m.AddedBlobs, size+m.AddedBytes
	}
	msg := fmt.Sprintf("Imported %d caches in %s: %d blobs added (%s)", len(res.Caches), time.Since(start).Round(100*time.Millisecond), blobs, ui.Bytes(size))
	if len(res.Images) > 0 {
		msg += "; loaded images " + strings.Join(res.Images, ", ")
	}
	st.Info(msg)
	return nil
}

// unchanged reports whether file is an archive with the same content as idx. An
// archive that does not read counts as changed: it is replaced.
func unchanged(file string, idx *cache.Index) bool {
	f, err := os.Open(file)
	if err != nil {
		return false
	}
	defer f.Close()
	old, err := cache.ReadIndex(f)
	return err == nil && cache.SameContent(old, idx)
}
