package control

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"boxcar/internal/configstore"
)

// applyEndpointSettings validates in and writes it into ep, replacing
// every setting and filling defaults; ep's identity (id, channelId, arn,
// createdAt, tags) is left alone. Problems go to fe; the caller stores ep
// only when fe is empty.
func (a *API) applyEndpointSettings(fe *fieldErrors, in *endpointSettings, ep *configstore.OriginEndpoint) {
	checkDescription(fe, "description", in.Description)
	ep.Description = in.Description

	ep.ManifestName = in.ManifestName
	if ep.ManifestName == "" {
		ep.ManifestName = defaultManifestName
	}
	checkManifestName(fe, "manifestName", ep.ManifestName)

	applyTimeShift(fe, in, ep)
	ep.Whitelist = whitelist(fe, in.Whitelist)
	ep.Origination = enumField(fe, "origination", in.Origination, defaultOrigination, originationValues)
	a.applyAuthorization(fe, in.Authorization, ep)
	checkOnePackage(fe, in)
	a.applyPackage(fe, in, ep)
}

// applyTimeShift sets the startover window and the time delay, which must
// be shorter than a startover window.
func applyTimeShift(fe *fieldErrors, in *endpointSettings, ep *configstore.OriginEndpoint) {
	ep.StartoverWindowSeconds = intField(fe, "startoverWindowSeconds", in.StartoverWindowSeconds, 0, 0, maxStartoverSeconds)
	ep.TimeDelaySeconds = 0
	if in.TimeDelaySeconds != nil && *in.TimeDelaySeconds != 0 {
		ep.TimeDelaySeconds = intField(fe, "timeDelaySeconds", in.TimeDelaySeconds, 0, minTimeDelaySeconds, maxTimeDelaySeconds)
		if ep.StartoverWindowSeconds > 0 && ep.TimeDelaySeconds >= ep.StartoverWindowSeconds {
			fe.add("timeDelaySeconds", "must be less than startoverWindowSeconds (%d), got %d", ep.StartoverWindowSeconds, ep.TimeDelaySeconds)
		}
	}
}

// whitelist returns the valid CIDR blocks of in.
func whitelist(fe *fieldErrors, in []string) []string {
	if len(in) > maxWhitelistEntries {
		fe.add("whitelist", "at most %d entries, got %d", maxWhitelistEntries, len(in))
		return nil
	}
	var out []string
	for i, cidr := range in {
		if _, err := netip.ParsePrefix(cidr); err != nil {
			fe.add(fmt.Sprintf("whitelist[%d]", i), "must be a CIDR block such as 192.0.2.0/24 or 2001:db8::/32, got %q", truncate(cidr, 60))
			continue
		}
		out = append(out, cidr)
	}
	return out
}

// applyAuthorization sets ep's CDN authorization to in.
//
// The secret is checked when an endpoint starts naming it: an update that
// keeps it passes even after the secret was deleted, so such an endpoint
// can still be changed (to name another secret, or DENY).
func (a *API) applyAuthorization(fe *fieldErrors, in *configstore.Authorization, ep *configstore.OriginEndpoint) {
	kept := ep.Authorization != nil && in != nil && ep.Authorization.CDNIdentifierSecret == in.CDNIdentifierSecret
	ep.Authorization = nil
	if in == nil {
		return
	}
	checkRequiredString(fe, "authorization.cdnIdentifierSecret", in.CDNIdentifierSecret, maxARNLength)
	checkRequiredString(fe, "authorization.secretsRoleArn", in.SecretsRoleARN, maxARNLength)
	if in.CDNIdentifierSecret != "" && !kept {
		a.checkCDNSecret(fe, in.CDNIdentifierSecret)
	}
	ep.Authorization = &configstore.Authorization{CDNIdentifierSecret: in.CDNIdentifierSecret, SecretsRoleARN: in.SecretsRoleARN}
}

// checkOnePackage requires exactly one of the four package types.
func checkOnePackage(fe *fieldErrors, in *endpointSettings) {
	var set []string
	for name, present := range map[string]bool{
		"hlsPackage": in.HLSPackage != nil, "cmafPackage": in.CMAFPackage != nil,
		"dashPackage": in.DASHPackage != nil, "mssPackage": in.MSSPackage != nil,
	} {
		if present {
			set = append(set, name)
		}
	}
	slices.Sort(set)
	switch len(set) {
	case 0:
		fe.add("", "exactly one of hlsPackage, cmafPackage, dashPackage and mssPackage is required, got none")
	case 1:
	default:
		fe.add("", "exactly one of hlsPackage, cmafPackage, dashPackage and mssPackage may be set, got %s", strings.Join(set, " and "))
	}
}

// applyPackage sets ep's package, the first of in's in the order HLS,
// CMAF, DASH, MSS, and the playback URL that goes with it.
func (a *API) applyPackage(fe *fieldErrors, in *endpointSettings, ep *configstore.OriginEndpoint) {
	ep.HLSPackage, ep.CMAFPackage, ep.DASHPackage, ep.MSSPackage = nil, nil, nil, nil
	base := a.publicURL + "/out/v1/" + ep.ID + "/"
	switch {
	case in.HLSPackage != nil:
		ep.HLSPackage = hlsPackage(fe, "hlsPackage", in.HLSPackage)
		ep.URL = base + ep.ManifestName + ".m3u8"
	case in.CMAFPackage != nil:
		ep.CMAFPackage = cmafPackage(fe, "cmafPackage", in.CMAFPackage, ep, base)
		ep.URL = ""
		if len(ep.CMAFPackage.HLSManifests) > 0 {
			ep.URL = ep.CMAFPackage.HLSManifests[0].URL
		}
	case in.DASHPackage != nil:
		ep.DASHPackage = a.dashPackage(fe, "dashPackage", in.DASHPackage)
		ep.URL = base + ep.ManifestName + ".mpd"
	case in.MSSPackage != nil:
		ep.MSSPackage = mssPackage(fe, "mssPackage", in.MSSPackage)
		ep.URL = base + ep.ManifestName + ".ism/Manifest"
	}
}

// checkManifestName keeps manifest names usable as one URL path segment
// in front of an extension.
func checkManifestName(fe *fieldErrors, field, name string) {
	if len(name) > maxManifestNameLength || !validID(name) {
		fe.add(field, "must be 1 to %d characters of A-Z, a-z, 0-9, _ and -, got %q", maxManifestNameLength, truncate(name, 140))
	}
}

// checkWindow requires a window to hold at least one segment.
func checkWindow(fe *fieldErrors, field string, window, segment int) {
	if window > 0 && segment > 0 && window < segment {
		fe.add(field, "must be at least the segment duration (%d), got %d", segment, window)
	}
}

func adTriggers(fe *fieldErrors, field string, in []string) []string {
	if in == nil {
		return slices.Clone(defaultAdTriggers)
	}
	return enumList(fe, field, in, adTriggerValues)
}

func adMarkers(fe *fieldErrors, p, in string, pdt int) string {
	m := enumField(fe, p+".adMarkers", in, defaultAdMarkers, adMarkersValues)
	if m == "DATERANGE" && pdt <= 0 {
		fe.add(p+".adMarkers", "DATERANGE needs programDateTimeIntervalSeconds greater than 0")
	}
	return m
}

func streamSelection(fe *fieldErrors, field string, in *configstore.StreamSelection) *configstore.StreamSelection {
	out := &configstore.StreamSelection{StreamOrder: defaultStreamOrder}
	if in == nil {
		return out
	}
	out.StreamOrder = enumField(fe, field+".streamOrder", in.StreamOrder, defaultStreamOrder, streamOrderValues)
	lo, hi := in.MinVideoBitsPerSecond, in.MaxVideoBitsPerSecond
	if lo < 0 {
		fe.add(field+".minVideoBitsPerSecond", "must be between 0 and %d, got %d", maxBitsPerSecond, lo)
	}
	if hi < 0 {
		fe.add(field+".maxVideoBitsPerSecond", "must be between 0 and %d, got %d", maxBitsPerSecond, hi)
	}
	if lo > 0 && hi > 0 && lo > hi {
		fe.add(field, "minVideoBitsPerSecond (%d) must not exceed maxVideoBitsPerSecond (%d)", lo, hi)
	}
	out.MinVideoBitsPerSecond, out.MaxVideoBitsPerSecond = lo, hi
	return out
}

// spekeKeyProvider validates a SPEKE key provider; maxSystems is the
// format's DRM system limit (UG1: HLS 1, DASH 2, CMAF 3, MSS 1) and v2
// whether SPEKE 2.0 presets are allowed.
func spekeKeyProvider(fe *fieldErrors, field string, in *configstore.SPEKEKeyProvider, maxSystems int, v2 bool) *configstore.SPEKEKeyProvider {
	if in == nil {
		fe.add(field, "required")
		return nil
	}
	out := &configstore.SPEKEKeyProvider{
		CertificateARN: in.CertificateARN, ResourceID: in.ResourceID, RoleARN: in.RoleARN, URL: in.URL,
		SystemIDs: []string{},
	}
	if in.URL == "" {
		fe.add(field+".url", "required")
	} else {
		checkHTTPURL(fe, field+".url", in.URL)
	}
	checkRequiredString(fe, field+".resourceId", in.ResourceID, 1024)
	checkRequiredString(fe, field+".roleArn", in.RoleARN, maxARNLength)
	if len(in.CertificateARN) > maxARNLength {
		fe.add(field+".certificateArn", "must be at most %d characters", maxARNLength)
	}
	switch n := len(in.SystemIDs); {
	case n == 0:
		fe.add(field+".systemIds", "at least one DRM system id is required")
	case n > maxSystems:
		fe.add(field+".systemIds", "at most %d DRM system ids for this package type, got %d", maxSystems, n)
	}
	for i, id := range in.SystemIDs {
		f := fmt.Sprintf("%s.systemIds[%d]", field, i)
		switch {
		case !isUUID(id):
			fe.add(f, "must be a UUID such as %s, got %q", playReadySystemID, truncate(id, 60))
		case slices.ContainsFunc(out.SystemIDs, func(s string) bool { return strings.EqualFold(s, id) }):
			fe.add(f, "%s is listed twice", id)
		default:
			out.SystemIDs = append(out.SystemIDs, id)
		}
	}
	if ecc := in.EncryptionContractConfiguration; ecc != nil {
		f := field + ".encryptionContractConfiguration"
		if !v2 {
			fe.add(f, "SPEKE 2.0 presets are supported on cmafPackage and dashPackage endpoints only")
		}
		if ecc.PresetSpeke20Audio == "" {
			fe.add(f+".presetSpeke20Audio", "required")
		} else {
			enumField(fe, f+".presetSpeke20Audio", ecc.PresetSpeke20Audio, "", presetAudioValues)
		}
		if ecc.PresetSpeke20Video == "" {
			fe.add(f+".presetSpeke20Video", "required")
		} else {
			enumField(fe, f+".presetSpeke20Video", ecc.PresetSpeke20Video, "", presetVideoValues)
		}
		if (ecc.PresetSpeke20Audio == "SHARED") != (ecc.PresetSpeke20Video == "SHARED") {
			fe.add(f, "SHARED must be used for both presetSpeke20Audio and presetSpeke20Video or for neither")
		}
		if ecc.PresetSpeke20Audio == "UNENCRYPTED" && ecc.PresetSpeke20Video == "UNENCRYPTED" {
			fe.add(f, "audio and video cannot both be UNENCRYPTED; remove encryption instead")
		}
		out.EncryptionContractConfiguration = &configstore.EncryptionContractConfiguration{
			PresetSpeke20Audio: ecc.PresetSpeke20Audio, PresetSpeke20Video: ecc.PresetSpeke20Video,
		}
	}
	return out
}

// keyRotation validates keyRotationIntervalSeconds: default 60 s, or 0 with
// SPEKE 2.0, which requires rotation off.
func keyRotation(fe *fieldErrors, field string, in *int, sp *configstore.SPEKEKeyProvider) int {
	v2 := sp != nil && sp.EncryptionContractConfiguration != nil
	def := defaultKeyRotationSeconds
	if v2 {
		def = 0
	}
	v := intField(fe, field, in, def, 0, maxKeyRotationSeconds)
	if v2 && v != 0 {
		fe.add(field, "must be 0 when spekeKeyProvider.encryptionContractConfiguration is set (SPEKE 2.0 needs key rotation off), got %d", v)
	}
	return v
}

func constantIV(fe *fieldErrors, field, iv string) string {
	if iv != "" && (len(iv) != 32 || !isHex(iv)) {
		fe.add(field, "must be 32 hexadecimal characters (16 bytes), got %q", truncate(iv, 60))
	}
	return iv
}

func hlsPackage(fe *fieldErrors, p string, in *hlsPackageIn) *configstore.HLSPackage {
	out := &configstore.HLSPackage{
		IncludeDVBSubtitles:     in.IncludeDVBSubtitles,
		IncludeIframeOnlyStream: in.IncludeIframeOnlyStream,
		UseAudioRenditionGroup:  in.UseAudioRenditionGroup,
	}
	out.SegmentDurationSeconds = intField(fe, p+".segmentDurationSeconds", in.SegmentDurationSeconds, defaultHLSSegmentSeconds, 1, maxSegmentDurationSeconds)
	out.PlaylistWindowSeconds = intField(fe, p+".playlistWindowSeconds", in.PlaylistWindowSeconds, defaultHLSPlaylistWindow, 1, maxWindowSeconds)
	checkWindow(fe, p+".playlistWindowSeconds", out.PlaylistWindowSeconds, out.SegmentDurationSeconds)
	out.ProgramDateTimeIntervalSeconds = intField(fe, p+".programDateTimeIntervalSeconds", in.ProgramDateTimeIntervalSeconds, 0, 0, maxPDTIntervalSeconds)
	out.AdMarkers = adMarkers(fe, p, in.AdMarkers, out.ProgramDateTimeIntervalSeconds)
	out.AdTriggers = adTriggers(fe, p+".adTriggers", in.AdTriggers)
	out.AdsOnDeliveryRestrictions = enumField(fe, p+".adsOnDeliveryRestrictions", in.AdsOnDeliveryRestrictions, defaultAdsOnDelivery, adsOnDeliveryValues)
	out.PlaylistType = enumField(fe, p+".playlistType", in.PlaylistType, defaultPlaylistType, playlistTypeValues)
	out.StreamSelection = streamSelection(fe, p+".streamSelection", in.StreamSelection)
	if e := in.Encryption; e != nil {
		f := p + ".encryption"
		enc := &configstore.HLSEncryption{RepeatExtXKey: e.RepeatExtXKey}
		enc.SPEKEKeyProvider = spekeKeyProvider(fe, f+".spekeKeyProvider", e.SPEKEKeyProvider, 1, false)
		enc.EncryptionMethod = enumField(fe, f+".encryptionMethod", e.EncryptionMethod, defaultHLSEncryptionMethod, hlsEncryptionValues)
		enc.ConstantInitializationVector = constantIV(fe, f+".constantInitializationVector", e.ConstantInitializationVector)
		enc.KeyRotationIntervalSeconds = keyRotation(fe, f+".keyRotationIntervalSeconds", e.KeyRotationIntervalSeconds, enc.SPEKEKeyProvider)
		out.Encryption = enc
	}
	return out
}

func cmafPackage(fe *fieldErrors, p string, in *cmafPackageIn, ep *configstore.OriginEndpoint, base string) *configstore.CMAFPackage {
	out := &configstore.CMAFPackage{}
	out.SegmentDurationSeconds = intField(fe, p+".segmentDurationSeconds", in.SegmentDurationSeconds, defaultCMAFSegmentSeconds, 1, maxSegmentDurationSeconds)
	out.SegmentPrefix = in.SegmentPrefix
	if out.SegmentPrefix == "" {
		out.SegmentPrefix = ep.ChannelID // the documented default
	} else if !validID(out.SegmentPrefix) {
		fe.add(p+".segmentPrefix", "must be 1 to %d characters of A-Z, a-z, 0-9, _ and -, got %q", maxIDLength, truncate(out.SegmentPrefix, 140))
	}
	out.StreamSelection = streamSelection(fe, p+".streamSelection", in.StreamSelection)
	if e := in.Encryption; e != nil {
		f := p + ".encryption"
		enc := &configstore.CMAFEncryption{}
		enc.SPEKEKeyProvider = spekeKeyProvider(fe, f+".spekeKeyProvider", e.SPEKEKeyProvider, 3, true)
		enc.EncryptionMethod = enumField(fe, f+".encryptionMethod", e.EncryptionMethod, defaultCMAFEncryptionMethod, cmafEncryptionValues)
		enc.ConstantInitializationVector = constantIV(fe, f+".constantInitializationVector", e.ConstantInitializationVector)
		enc.KeyRotationIntervalSeconds = keyRotation(fe, f+".keyRotationIntervalSeconds", e.KeyRotationIntervalSeconds, enc.SPEKEKeyProvider)
		out.Encryption = enc
	}
	switch n := len(in.HLSManifests); {
	case n == 0:
		fe.add(p+".hlsManifests", "at least one HLS manifest is required")
	case n > maxHLSManifests:
		fe.add(p+".hlsManifests", "at most %d manifests, got %d", maxHLSManifests, n)
		return out
	}
	seen := map[string]bool{}
	for i, m := range in.HLSManifests {
		f := fmt.Sprintf("%s.hlsManifests[%d]", p, i)
		checkID(fe, f+".id", m.ID)
		if seen[m.ID] {
			fe.add(f+".id", "%q is used by another manifest of this endpoint", m.ID)
		}
		seen[m.ID] = true
		hm := configstore.HLSManifest{ID: m.ID, IncludeIframeOnlyStream: m.IncludeIframeOnlyStream}
		hm.ManifestName = m.ManifestName
		if hm.ManifestName == "" {
			hm.ManifestName = ep.ManifestName // the documented default
		} else {
			checkManifestName(fe, f+".manifestName", hm.ManifestName)
		}
		hm.PlaylistWindowSeconds = intField(fe, f+".playlistWindowSeconds", m.PlaylistWindowSeconds, defaultHLSPlaylistWindow, 1, maxWindowSeconds)
		checkWindow(fe, f+".playlistWindowSeconds", hm.PlaylistWindowSeconds, out.SegmentDurationSeconds)
		hm.ProgramDateTimeIntervalSeconds = intField(fe, f+".programDateTimeIntervalSeconds", m.ProgramDateTimeIntervalSeconds, 0, 0, maxPDTIntervalSeconds)
		hm.AdMarkers = adMarkers(fe, f, m.AdMarkers, hm.ProgramDateTimeIntervalSeconds)
		hm.AdTriggers = adTriggers(fe, f+".adTriggers", m.AdTriggers)
		hm.AdsOnDeliveryRestrictions = enumField(fe, f+".adsOnDeliveryRestrictions", m.AdsOnDeliveryRestrictions, defaultAdsOnDelivery, adsOnDeliveryValues)
		hm.PlaylistType = enumField(fe, f+".playlistType", m.PlaylistType, defaultPlaylistType, playlistTypeValues)
		hm.URL = base + m.ID + "/" + hm.ManifestName + ".m3u8"
		out.HLSManifests = append(out.HLSManifests, hm)
	}
	return out
}

func (a *API) dashPackage(fe *fieldErrors, p string, in *dashPackageIn) *configstore.DASHPackage {
	out := &configstore.DASHPackage{IncludeIframeOnlyStream: in.IncludeIframeOnlyStream}
	out.SegmentDurationSeconds = intField(fe, p+".segmentDurationSeconds", in.SegmentDurationSeconds, defaultDASHSegmentSeconds, 1, maxSegmentDurationSeconds)
	out.ManifestWindowSeconds = intField(fe, p+".manifestWindowSeconds", in.ManifestWindowSeconds, defaultDASHManifestWindow, 1, maxWindowSeconds)
	checkWindow(fe, p+".manifestWindowSeconds", out.ManifestWindowSeconds, out.SegmentDurationSeconds)
	out.MinBufferTimeSeconds = intField(fe, p+".minBufferTimeSeconds", in.MinBufferTimeSeconds, defaultDASHMinBufferTime, 1, maxDASHTimingSeconds)
	out.MinUpdatePeriodSeconds = intField(fe, p+".minUpdatePeriodSeconds", in.MinUpdatePeriodSeconds, defaultDASHMinUpdatePeriod, 1, maxDASHTimingSeconds)
	out.SuggestedPresentationDelaySeconds = intField(fe, p+".suggestedPresentationDelaySeconds", in.SuggestedPresentationDelaySeconds, defaultDASHPresentationDelay, 0, maxDASHTimingSeconds)
	if out.SuggestedPresentationDelaySeconds >= out.ManifestWindowSeconds && out.ManifestWindowSeconds > 0 {
		fe.add(p+".suggestedPresentationDelaySeconds", "must be less than manifestWindowSeconds (%d) or players start outside the window, got %d", out.ManifestWindowSeconds, out.SuggestedPresentationDelaySeconds)
	}
	out.SegmentTemplateFormat = enumField(fe, p+".segmentTemplateFormat", in.SegmentTemplateFormat, defaultSegmentTemplateFormat, segmentTemplateVals)
	out.ManifestLayout = enumField(fe, p+".manifestLayout", in.ManifestLayout, defaultManifestLayout, manifestLayoutValues)
	out.Profile = enumField(fe, p+".profile", in.Profile, defaultProfile, profileValues)
	out.UTCTiming = enumField(fe, p+".utcTiming", in.UTCTiming, defaultUTCTiming, utcTimingValues)
	switch {
	case out.UTCTiming == "NONE" && in.UTCTimingURI != "":
		fe.add(p+".utcTimingUri", "set it only with utcTiming HTTP-HEAD, HTTP-ISO or HTTP-XSDATE (utcTiming is NONE)")
	case out.UTCTiming != "NONE" && in.UTCTimingURI == "":
		out.UTCTimingURI = a.publicURL + "/time" // Boxcar's own time source
	case in.UTCTimingURI != "":
		checkHTTPURL(fe, p+".utcTimingUri", in.UTCTimingURI)
		out.UTCTimingURI = in.UTCTimingURI
	}
	if in.PeriodTriggers != nil {
		out.PeriodTriggers = enumList(fe, p+".periodTriggers", in.PeriodTriggers, periodTriggerValues)
	}
	if len(out.PeriodTriggers) > 0 {
		if out.Profile == "HYBRIDCAST" {
			fe.add(p+".periodTriggers", "the HYBRIDCAST profile cannot be combined with period triggers")
		}
		if out.SegmentTemplateFormat == "NUMBER_WITH_DURATION" {
			fe.add(p+".periodTriggers", "NUMBER_WITH_DURATION segment templates cannot be combined with multi-period (period triggers)")
		}
	}
	out.AdTriggers = adTriggers(fe, p+".adTriggers", in.AdTriggers)
	out.AdsOnDeliveryRestrictions = enumField(fe, p+".adsOnDeliveryRestrictions", in.AdsOnDeliveryRestrictions, defaultAdsOnDelivery, adsOnDeliveryValues)
	out.StreamSelection = streamSelection(fe, p+".streamSelection", in.StreamSelection)
	if e := in.Encryption; e != nil {
		f := p + ".encryption"
		enc := &configstore.DASHEncryption{}
		enc.SPEKEKeyProvider = spekeKeyProvider(fe, f+".spekeKeyProvider", e.SPEKEKeyProvider, 2, true)
		enc.KeyRotationIntervalSeconds = keyRotation(fe, f+".keyRotationIntervalSeconds", e.KeyRotationIntervalSeconds, enc.SPEKEKeyProvider)
		out.Encryption = enc
	}
	return out
}

func mssPackage(fe *fieldErrors, p string, in *mssPackageIn) *configstore.MSSPackage {
	out := &configstore.MSSPackage{}
	out.SegmentDurationSeconds = intField(fe, p+".segmentDurationSeconds", in.SegmentDurationSeconds, defaultMSSSegmentSeconds, 1, maxSegmentDurationSeconds)
	out.ManifestWindowSeconds = intField(fe, p+".manifestWindowSeconds", in.ManifestWindowSeconds, defaultMSSManifestWindow, 1, maxWindowSeconds)
	checkWindow(fe, p+".manifestWindowSeconds", out.ManifestWindowSeconds, out.SegmentDurationSeconds)
	out.StreamSelection = streamSelection(fe, p+".streamSelection", in.StreamSelection)
	if e := in.Encryption; e != nil {
		f := p + ".encryption.spekeKeyProvider"
		sp := spekeKeyProvider(fe, f, e.SPEKEKeyProvider, 1, false)
		if sp != nil {
			for i, id := range sp.SystemIDs {
				if !strings.EqualFold(id, playReadySystemID) {
					fe.add(fmt.Sprintf("%s.systemIds[%d]", f, i), "Smooth Streaming carries PlayReady only (%s), got %q", playReadySystemID, id)
				}
			}
		}
		out.Encryption = &configstore.MSSEncryption{SPEKEKeyProvider: sp}
	}
	return out
}

// checkCDNSecret accepts the ARN of a secret listed under egress.cdnSecrets
// in the configuration or stored through the Secrets Manager API and not
// scheduled for deletion.
func (a *API) checkCDNSecret(fe *fieldErrors, arn string) {
	if _, ok := a.cfg.Egress.CDNSecrets[arn]; ok {
		return
	}
	const field = "authorization.cdnIdentifierSecret"
	if a.secrets != nil {
		switch found, deleted := a.secrets.LookupSecret(arn); {
		case found && deleted:
			fe.add(field, "secret %q is scheduled for deletion; restore it (aws secretsmanager restore-secret) or name another", truncate(arn, 200))
			return
		case found:
			return
		}
	}
	fe.add(field, "no secret %q under egress.cdnSecrets in the Boxcar configuration nor stored through Boxcar's Secrets Manager API; create it there (aws secretsmanager create-secret --endpoint-url <Boxcar URL>) and use the ARN it returns", truncate(arn, 200))
}
