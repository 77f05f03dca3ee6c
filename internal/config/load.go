package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// DefaultFile is read when no file is named and it exists in the working folder.
const DefaultFile = "kdev.yaml"

// Error is an invalid configuration: it names the field and, for a file, the line.
// Commands turn it into exit code 2.
type Error struct {
	File  string
	Line  int
	Field string
	Msg   string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Overrides are command-line flags that take precedence over the file. They apply
// before defaults, so --name also names a network that the file leaves unnamed.
type Overrides struct {
	Name          string
	RegistryImage string
	NodeImage     string
}

func (o Overrides) apply(e *Environment) {
	if o.Name != "" {
		e.Name = o.Name
	}
	if o.RegistryImage != "" {
		e.Images.Registry = o.RegistryImage
	}
	if o.NodeImage != "" {
		e.Images.Node = o.NodeImage
	}
}

// Load reads the configuration: the named file, else ./kdev.yaml when it exists, else
// the defaults. It returns the effective configuration with defaults filled in.
func Load(path string, o Overrides) (*Environment, error) {
	explicit := path != ""
	if !explicit {
		path = DefaultFile
	}
	data, err := ReadSmallFile(path)
	if errors.Is(err, os.ErrNotExist) && !explicit {
		data, path = []byte("apiVersion: "+APIVersion+"\nkind: "+Kind+"\n"), ""
	} else if err != nil {
		return nil, &Error{File: path, Msg: fmt.Sprintf("cannot read: %v", err)}
	}
	return parse(path, data, o)
}

// Parse decodes and validates one kdev.yaml document. Unknown fields are errors.
func Parse(file string, data []byte) (*Environment, error) {
	return parse(file, data, Overrides{})
}

func parse(file string, data []byte, o Overrides) (*Environment, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError(file, err)
	}
	if err := checkTree(file, &root); err != nil {
		return nil, err
	}
	var env Environment
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&env); err != nil && !errors.Is(err, io.EOF) {
		return nil, yamlError(file, err)
	}
	var extra Environment
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, &Error{File: file, Msg: "holds more than one YAML document; kdev reads one"}
	}
	if env.APIVersion == "" && env.Kind == "" && len(data) > 0 && root.Kind != 0 {
		return nil, &Error{File: file, Field: "apiVersion", Msg: fmt.Sprintf("missing; start the file with apiVersion: %s and kind: %s", APIVersion, Kind)}
	}
	o.apply(&env)
	env.applyDefaults()
	if err := env.Validate(); err != nil {
		var ce *Error
		if errors.As(err, &ce) && file != "" {
			ce.File = file
			ce.Line = lineOf(&root, ce.Field)
		}
		return nil, err
	}
	return &env, nil
}

// yamlError turns the YAML library's "yaml: line N: msg" into an Error with a line.
func yamlError(file string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n  ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, tail, ok := strings.Cut(rest, ": "); ok {
			if v, err := strconv.Atoi(n); err == nil {
				line, msg = v, tail
			}
		}
	}
	msg = strings.ReplaceAll(msg, "in type config.", "in ")
	return &Error{File: file, Line: line, Msg: msg}
}

// lineOf finds the line of a field path such as "mirrors[1].remoteURL" in a YAML tree.
func lineOf(root *yaml.Node, field string) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, part := range strings.Split(field, ".") {
		name, idx, hasIdx := strings.Cut(part, "[")
		if n = child(n, name); n == nil {
			return line
		}
		line = n.Line
		if hasIdx {
			i, err := strconv.Atoi(strings.TrimSuffix(idx, "]"))
			if err != nil || n.Kind != yaml.SequenceNode || i >= len(n.Content) {
				return line
			}
			n = n.Content[i]
			line = n.Line
		}
	}
	return line
}

func child(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
