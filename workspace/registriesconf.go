package workspace

import (
	"fmt"
	"strings"

	"github.com/distribution/reference"
	"github.com/kios/imgtrust/model"
	"github.com/kios/imgtrust/node"
	"github.com/kios/imgtrust/policyio"
	"github.com/kios/imgtrust/registriesconf"
)

// RegistriesConfDiagnostics checks registries.conf and its drop-ins (the
// library's own refusals, with positions) and each mirror against
// registries.d: the runtime reads signatures for an image pulled through
// a mirror from the look-aside chosen by the mirror's location
// (docker_client.go: newDockerClientFromRef gets the physical
// reference), so a mirror without the entry its primary has sends every
// signature lookup elsewhere.
func RegistriesConfDiagnostics(paths node.Paths, rd *policyio.RegistriesD, rt policyio.RegistriesRuntime) model.Diagnostics {
	basis := rt.RegistriesConfV1Basis
	if basis == "" {
		basis = "containers/image version unknown: assumed older than v5.40"
	}
	conf, diags := registriesconf.Load(paths.FS(), paths.Host, paths.Node, registriesconf.Locations{Conf: paths.RegistriesConf, RefuseV1: rt.RefuseRegistriesConfV1, V1Basis: basis})
	_, cacheDiags := registriesconf.LoadAliasCache(paths.FS(), paths.Host(registriesconf.AliasCachePath), registriesconf.AliasCachePath)
	diags = append(diags, cacheDiags...)
	if diags.HasErrors() || rd == nil {
		return diags
	}
	for _, r := range conf.Registries {
		if strings.HasPrefix(r.Prefix, "*.") || len(r.Mirrors) == 0 {
			continue
		}
		primary, ok := probe(rd, r.Prefix)
		if !ok {
			continue
		}
		ownLookaside := func(m policyio.LookasideMatch) bool { return m.Scope != "" && m.Scope != model.DefaultDockerScope }
		for _, m := range r.Mirrors {
			mirror, ok := probe(rd, m.Location)
			if !ok {
				continue
			}
			if primary.UseSigstoreAttachments && !mirror.UseSigstoreAttachments {
				// docker_client.go: useSigstoreAttachments(physical ref).
				diags = append(diags, model.Diagnostic{
					Severity: model.Warning, Code: "mirror-lookaside", Pos: m.Pos,
					Message: fmt.Sprintf("mirror %s of %s has no registries.d entry with use-sigstore-attachments: for images pulled through it the runtime reads no sigstore signatures, though it reads them for %s",
						m.Location, r.Prefix, r.Prefix),
					Fix: fmt.Sprintf("add a docker: %q entry with use-sigstore-attachments: true", m.Location),
				})
			}
			if !ownLookaside(primary) || ownLookaside(mirror) || mirror.BaseURL == primary.BaseURL {
				continue // the primary has no entry of its own, or the mirror has one
			}
			diags = append(diags, model.Diagnostic{
				Severity: model.Warning, Code: "mirror-lookaside", Pos: m.Pos,
				Message: fmt.Sprintf("mirror %s of %s has no look-aside entry in registries.d: for images pulled through it the runtime looks for signatures at %s, not at %s (%s's entry %q)",
					m.Location, r.Prefix, mirror.BaseURL, primary.BaseURL, r.Prefix, primary.Scope),
				Fix: fmt.Sprintf("add a docker: %q entry with the look-aside that holds this mirror's signatures (usually %s)", m.Location, primary.BaseURL),
			})
		}
	}
	return diags
}

// probe is the look-aside of an image directly under location.
func probe(rd *policyio.RegistriesD, location string) (policyio.LookasideMatch, bool) {
	ref, err := reference.ParseNormalizedNamed(location + "/imgtrust-probe")
	if err != nil {
		return policyio.LookasideMatch{}, false
	}
	return rd.LookasideFor(ref), true
}
