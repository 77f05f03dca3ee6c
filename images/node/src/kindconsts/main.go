// kindconsts prints, as JSON, the default CNI and storage manifests and the image names that
// kind's node-image builder keeps as unexported string constants in package
// sigs.k8s.io/kind/pkg/build/nodeimage. It type-checks that package's constant files with
// go/types and evaluates the constants, so nothing of kind's source is copied.
//
// Usage: kindconsts <dir of sigs.k8s.io/kind/pkg/build/nodeimage>
package main

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/constant"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
)

// The files that declare the constants: they import nothing, so they type-check alone.
var files = []string{"const.go", "const_cni.go", "const_storage.go"}

// JSON key -> constant name in kind's source.
var wanted = map[string]string{
	"cniManifest":         "defaultCNIManifest",
	"storageManifest":     "defaultStorageManifest",
	"cniImage":            "kindnetdImage",
	"provisionerImage":    "storageProvisionerImage",
	"helperImage":         "storageHelperImage",
	"cniManifestPath":     "defaultCNIManifestLocation",
	"storageManifestPath": "defaultStorageManifestLocation",
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: kindconsts <kind's pkg/build/nodeimage dir>")
		os.Exit(2)
	}
	out, err := extract(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "kindconsts:", err)
		os.Exit(1)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, "kindconsts:", err)
		os.Exit(1)
	}
}

func extract(dir string) (map[string]string, error) {
	fset := token.NewFileSet()
	var parsed []*ast.File
	for _, name := range files {
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, 0)
		if err != nil {
			return nil, err
		}
		parsed = append(parsed, f)
	}
	// Other files of the package are not loaded, so ignore "declared and not used" style
	// errors; a missing constant is reported below.
	conf := types.Config{Importer: importer.Default(), Error: func(error) {}}
	pkg, _ := conf.Check("nodeimage", fset, parsed, nil)
	out := map[string]string{}
	for key, name := range wanted {
		obj, ok := pkg.Scope().Lookup(name).(*types.Const)
		if !ok || obj.Val().Kind() != constant.String {
			return nil, fmt.Errorf("no string constant %s in %s (did kind move it?)", name, dir)
		}
		out[key] = constant.StringVal(obj.Val())
	}
	return out, nil
}
