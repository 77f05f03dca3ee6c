package app

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/kdev-dev/kdev/internal/api"
	"github.com/kdev-dev/kdev/internal/cache"
	"github.com/kdev-dev/kdev/internal/env"
	"github.com/kdev-dev/kdev/internal/ui"
)

func newCacheList(g *globals) *cobra.Command {
	return report(g, &cobra.Command{
		Use:     "ls",
		Aliases: []string{"list"},
		Short:   "List every mirror cache on this machine: size, repositories and tags, last use",
	}, (*env.Env).ListCaches, printCaches, cacheDocument, nil)
}

func printCaches(w io.Writer, ls []cache.Listed) error {
	if len(ls) == 0 {
		_, err := fmt.Fprintln(w, "No mirror cache on this machine (kdev up makes one per mirror)")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REGISTRY\tUPSTREAM\tVOLUME\tSIZE\tREPOS\tTAGS\tLAST USED\tMIRROR")
	for _, l := range ls {
		tags := 0
		for _, r := range l.Repos {
			tags += len(r.Tags)
		}
		used := "-"
		if !l.LastUsed.IsZero() {
			used = age(time.Since(l.LastUsed)) + " ago"
		}
		mirror := "none"
		if l.Mirror != "" {
			mirror = l.Mirror + " (" + l.MirrorState + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n", l.Registry, l.Remote, l.Volume, ui.Bytes(l.Bytes), len(l.Repos), tags, used, mirror)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, l := range ls {
		if len(l.Repos) == 0 {
			continue
		}
		var names []string
		for _, r := range l.Repos {
			n := r.Name
			if len(r.Tags) > 0 {
				n += ":" + strings.Join(r.Tags, ",")
			}
			names = append(names, n)
		}
		fmt.Fprintf(w, "\n%s: %s\n", l.Registry, strings.Join(names, " "))
	}
	return nil
}

func cacheDocument(ls []cache.Listed) api.CacheList {
	d := api.CacheList{TypeMeta: api.Meta(api.KindCacheList), Caches: []api.CacheEntry{}}
	for _, l := range ls {
		e := api.CacheEntry{Registry: l.Registry, Upstream: l.Remote, Key: l.Key, Volume: l.Volume, Bytes: l.Bytes,
			Mirror: l.Mirror, MirrorState: l.MirrorState, LastUsed: timeDoc(l.LastUsed), Repositories: []api.CachedRepo{}}
		for _, r := range l.Repos {
			tags := r.Tags
			if tags == nil {
				tags = []string{}
			}
			e.Repositories = append(e.Repositories, api.CachedRepo{Name: r.Name, Tags: tags, LastUsed: timeDoc(r.LastUsed)})
		}
		d.Caches = append(d.Caches, e)
	}
	return d
}
