package config

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// integerFields must be written as integers: the YAML decoder would truncate 1.5 to 1.
var integerFields = []string{"localRegistry.port", "cluster.workers", "cluster.parallelImagePulls"}

// defaultedFields take a default when absent; written empty (or 0), they are a mistake,
// not a request for the default: `name: ""` must not act on the default environment.
var defaultedFields = []string{"name", "network.name", "images.registry", "images.node", "localRegistry.port", "cluster.parallelImagePulls", "upstreamProbeTimeout"}

// checkTree holds the document to what the decoder cannot see: every mapping key is a
// string, integer fields hold integers, and defaulted fields are not written empty.
func checkTree(file string, root *yaml.Node) error {
	if err := stringKeys(file, root, ""); err != nil {
		return err
	}
	doc := root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		doc = doc.Content[0]
	}
	for _, f := range integerFields {
		if n := lookup(doc, f); n != nil && n.Kind == yaml.ScalarNode && n.Tag != "!!int" {
			return &Error{File: file, Line: n.Line, Field: f, Msg: fmt.Sprintf("%q is not an integer", n.Value)}
		}
	}
	for _, f := range defaultedFields {
		n := lookup(doc, f)
		if n == nil || n.Kind != yaml.ScalarNode {
			continue
		}
		if v := strings.TrimSpace(n.Value); v == "" || v == "0" || n.Tag == "!!null" {
			what := "empty"
			if v == "0" {
				what = "0"
			}
			return &Error{File: file, Line: n.Line, Field: f, Msg: "is " + what + ": give a value, or leave the key out for the default"}
		}
	}
	for i, m := range seq(lookup(doc, "mirrors")) {
		if n := lookup(m, "remoteURL"); n != nil && n.Kind == yaml.ScalarNode && strings.TrimSpace(n.Value) == "" {
			return &Error{File: file, Line: n.Line, Field: fmt.Sprintf("mirrors[%d].remoteURL", i), Msg: "is empty: give a URL, or leave the key out for the registry's default"}
		}
	}
	return nil
}

// stringKeys fails on the first mapping key that is not a string (1: true, [a]: b).
func stringKeys(file string, n *yaml.Node, path string) error {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for i, c := range n.Content {
			p := path
			if n.Kind == yaml.SequenceNode {
				p += "[" + strconv.Itoa(i) + "]"
			}
			if err := stringKeys(file, c, p); err != nil {
				return err
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				return &Error{File: file, Line: k.Line, Field: strings.TrimPrefix(path, "."), Msg: "a key is a list or a map; keys must be names"}
			}
			if k.Tag != "!!str" {
				return &Error{File: file, Line: k.Line, Field: strings.TrimPrefix(path, "."),
					Msg: fmt.Sprintf("key %q is not a string (quote it if it is meant as a name)", k.Value)}
			}
			if err := stringKeys(file, n.Content[i+1], path+"."+k.Value); err != nil {
				return err
			}
		}
	}
	return nil
}

// lookup follows a dotted path of mapping keys.
func lookup(n *yaml.Node, path string) *yaml.Node {
	for _, k := range strings.Split(path, ".") {
		if n = child(n, k); n == nil {
			return nil
		}
	}
	return n
}

func seq(n *yaml.Node) []*yaml.Node {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}
