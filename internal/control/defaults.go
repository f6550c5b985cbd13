package control

// Server-side defaults filled in on create and update so stored resources
// and describe responses are complete. docs/api.md lists them; keep the
// two in step.
const (
	defaultManifestName = "index"
	defaultOrigination  = "ALLOW"

	defaultHLSSegmentSeconds     = 6
	defaultHLSPlaylistWindow     = 60
	defaultCMAFSegmentSeconds    = 6
	defaultDASHSegmentSeconds    = 2
	defaultDASHManifestWindow    = 60
	defaultDASHMinBufferTime     = 30
	defaultDASHMinUpdatePeriod   = 15
	defaultDASHPresentationDelay = 25
	defaultMSSSegmentSeconds     = 2
	defaultMSSManifestWindow     = 60

	defaultAdMarkers             = "NONE"
	defaultAdsOnDelivery         = "RESTRICTED" // UG1 scte.md: only descriptors with delivery-restriction flags become ads
	defaultPlaylistType          = "NONE"
	defaultStreamOrder           = "ORIGINAL"
	defaultSegmentTemplateFormat = "NUMBER_WITH_TIMELINE"
	defaultManifestLayout        = "FULL"
	defaultProfile               = "NONE"
	defaultUTCTiming             = "HTTP-ISO" // not MediaPackage's NONE: dash.js needs a time source, and Boxcar has one (/time)
	defaultHLSEncryptionMethod   = "AES_128"
	defaultCMAFEncryptionMethod  = "SAMPLE_AES"
	defaultKeyRotationSeconds    = 60 // UG1: 60 s; 0 disables; SPEKE 2.0 defaults to 0

	// Access log groups ConfigureLogs uses when a logGroupName is empty
	// (UG1 access-logging.md).
	defaultEgressLogGroup  = "/aws/MediaPackage/EgressAccessLogs"
	defaultIngressLogGroup = "/aws/MediaPackage/IngressAccessLogs"
)

// defaultAdTriggers is UG1 scte.md's default: splice inserts plus
// provider/distributor advertisements and placement opportunities.
var defaultAdTriggers = []string{
	"SPLICE_INSERT",
	"PROVIDER_ADVERTISEMENT",
	"DISTRIBUTOR_ADVERTISEMENT",
	"PROVIDER_PLACEMENT_OPPORTUNITY",
	"DISTRIBUTOR_PLACEMENT_OPPORTUNITY",
}

// Ranges for endpoint settings. MediaPackage v1 documents few of them;
// where it does the value is MediaPackage's, elsewhere it is what a live
// origin can honour.
const (
	maxSegmentDurationSeconds = 30      // longer segments defeat live playback
	maxWindowSeconds          = 86400   // a day of live playlist; use startover for longer look-back
	maxStartoverSeconds       = 1209600 // 14 days, MediaPackage's limit
	minTimeDelaySeconds       = 5       // MediaPackage's limits
	maxTimeDelaySeconds       = 86400
	maxPDTIntervalSeconds     = 3600
	maxDASHTimingSeconds      = 3600     // minBufferTime, minimumUpdatePeriod, suggestedPresentationDelay
	maxKeyRotationSeconds     = 31536000 // a year, MediaPackage v2's maximum; 0 disables rotation
	maxWhitelistEntries       = 100
	maxHLSManifests           = 25 // MediaPackage v2's per-endpoint manifest limit
	maxManifestNameLength     = 128
	maxBitsPerSecond          = 2147483647
)

// Enum values of the classic API (Appendix A of the reference).
var (
	adMarkersValues      = []string{"NONE", "SCTE35_ENHANCED", "PASSTHROUGH", "DATERANGE"}
	adTriggerValues      = []string{"SPLICE_INSERT", "BREAK", "PROVIDER_ADVERTISEMENT", "DISTRIBUTOR_ADVERTISEMENT", "PROVIDER_PLACEMENT_OPPORTUNITY", "DISTRIBUTOR_PLACEMENT_OPPORTUNITY", "PROVIDER_OVERLAY_PLACEMENT_OPPORTUNITY", "DISTRIBUTOR_OVERLAY_PLACEMENT_OPPORTUNITY"}
	adsOnDeliveryValues  = []string{"NONE", "RESTRICTED", "UNRESTRICTED", "BOTH"}
	cmafEncryptionValues = []string{"SAMPLE_AES", "AES_CTR"}
	hlsEncryptionValues  = []string{"AES_128", "SAMPLE_AES"}
	manifestLayoutValues = []string{"FULL", "COMPACT", "DRM_TOP_LEVEL_COMPACT"}
	originationValues    = []string{"ALLOW", "DENY"}
	periodTriggerValues  = []string{"ADS"}
	playlistTypeValues   = []string{"NONE", "EVENT", "VOD"}
	presetAudioValues    = []string{"PRESET-AUDIO-1", "PRESET-AUDIO-2", "PRESET-AUDIO-3", "SHARED", "UNENCRYPTED"}
	presetVideoValues    = []string{"PRESET-VIDEO-1", "PRESET-VIDEO-2", "PRESET-VIDEO-3", "PRESET-VIDEO-4", "PRESET-VIDEO-5", "PRESET-VIDEO-6", "PRESET-VIDEO-7", "PRESET-VIDEO-8", "SHARED", "UNENCRYPTED"}
	profileValues        = []string{"NONE", "HBBTV_1_5", "HYBRIDCAST", "DVB_DASH_2014"}
	segmentTemplateVals  = []string{"NUMBER_WITH_TIMELINE", "TIME_WITH_TIMELINE", "NUMBER_WITH_DURATION"}
	statusValues         = []string{"IN_PROGRESS", "SUCCEEDED", "FAILED"}
	streamOrderValues    = []string{"ORIGINAL", "VIDEO_BITRATE_ASCENDING", "VIDEO_BITRATE_DESCENDING"}
	utcTimingValues      = []string{"NONE", "HTTP-HEAD", "HTTP-ISO", "HTTP-XSDATE"}
)

// playReadySystemID is the only DRM system Smooth Streaming carries.
const playReadySystemID = "9a04f079-9840-4286-ab92-e65be0885f95"
