// Command pulumi-resource-kubernetes serves the Pulumi Kubernetes provider pinned in go.mod.
//
// The provider module's own main embeds files that its release build generates and that its
// module zip lacks. This one embeds the module's schema.json and terraform-mapping.json, which
// scripts/install-kubernetes.sh copies next to it (outside the repo) before it builds.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema.json
var schema []byte

//go:embed terraform-mapping.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, schema, terraformMapping)
}
