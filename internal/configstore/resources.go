package configstore

// The resource types below are stored as they travel on the wire: their JSON
// field names are the classic MediaPackage API's (2017-10-12) camelCase wire
// names, so a stored resource is also its describe response. Optional
// integers use omitempty; the control plane fills documented defaults on
// create so stored resources are complete. Members whose zero value differs
// from their default (adTriggers [] = no ad markers, keyRotationIntervalSeconds
// 0 = no rotation, suggestedPresentationDelaySeconds 0) are always written,
// so a describe response sent back as an update means the same thing.

// Channel is a MediaPackage channel: one live input with two ingest endpoints.
type Channel struct {
	ARN               string            `json:"arn"`
	ID                string            `json:"id"`
	Description       string            `json:"description,omitempty"`
	CreatedAt         string            `json:"createdAt"`
	EgressAccessLogs  *AccessLogs       `json:"egressAccessLogs,omitempty"`
	IngressAccessLogs *AccessLogs       `json:"ingressAccessLogs,omitempty"`
	HLSIngest         HLSIngest         `json:"hlsIngest"`
	Tags              map[string]string `json:"tags,omitempty"`
}

// AccessLogs names the log group of egress or ingress access logs.
type AccessLogs struct {
	LogGroupName string `json:"logGroupName,omitempty"`
}

// HLSIngest holds a channel's ingest endpoints (always two).
type HLSIngest struct {
	IngestEndpoints []IngestEndpoint `json:"ingestEndpoints"`
}

// IngestEndpoint is one of a channel's two redundant ingest URLs with its
// credentials.
type IngestEndpoint struct {
	ID       string `json:"id"`
	URL      string `json:"url"`
	Username string `json:"username"`
	Password string `json:"password"`
}

// IngestEndpointIndex returns the 1-based position (1 or 2) of the ingest
// endpoint with the given id, or 0 when the channel has none by that id.
func (c *Channel) IngestEndpointIndex(id string) int {
	for i, ie := range c.HLSIngest.IngestEndpoints {
		if ie.ID == id {
			return i + 1
		}
	}
	return 0
}

// OriginEndpoint is a packaging configuration of a channel: exactly one of
// HLSPackage, CMAFPackage, DASHPackage and MSSPackage is set.
type OriginEndpoint struct {
	ARN                    string            `json:"arn"`
	ID                     string            `json:"id"`
	ChannelID              string            `json:"channelId"`
	Description            string            `json:"description,omitempty"`
	URL                    string            `json:"url"`
	ManifestName           string            `json:"manifestName"`
	CreatedAt              string            `json:"createdAt"`
	StartoverWindowSeconds int               `json:"startoverWindowSeconds,omitempty"`
	TimeDelaySeconds       int               `json:"timeDelaySeconds,omitempty"`
	Whitelist              []string          `json:"whitelist,omitempty"`
	Origination            string            `json:"origination"`
	Authorization          *Authorization    `json:"authorization,omitempty"`
	HLSPackage             *HLSPackage       `json:"hlsPackage,omitempty"`
	CMAFPackage            *CMAFPackage      `json:"cmafPackage,omitempty"`
	DASHPackage            *DASHPackage      `json:"dashPackage,omitempty"`
	MSSPackage             *MSSPackage       `json:"mssPackage,omitempty"`
	Tags                   map[string]string `json:"tags,omitempty"`
}

// Authorization configures CDN authorization: requests must carry the
// X-MediaPackage-CDNIdentifier header with the secret's current or previous
// value.
type Authorization struct {
	CDNIdentifierSecret string `json:"cdnIdentifierSecret"`
	SecretsRoleARN      string `json:"secretsRoleArn"`
}

// StreamSelection filters and orders the video renditions of an endpoint.
type StreamSelection struct {
	MaxVideoBitsPerSecond int    `json:"maxVideoBitsPerSecond,omitempty"`
	MinVideoBitsPerSecond int    `json:"minVideoBitsPerSecond,omitempty"`
	StreamOrder           string `json:"streamOrder,omitempty"`
}

// SPEKEKeyProvider configures a SPEKE key server.
type SPEKEKeyProvider struct {
	CertificateARN                  string                           `json:"certificateArn,omitempty"`
	EncryptionContractConfiguration *EncryptionContractConfiguration `json:"encryptionContractConfiguration,omitempty"`
	ResourceID                      string                           `json:"resourceId"`
	RoleARN                         string                           `json:"roleArn"`
	SystemIDs                       []string                         `json:"systemIds"`
	URL                             string                           `json:"url"`
}

// EncryptionContractConfiguration selects SPEKE 2.0 presets.
type EncryptionContractConfiguration struct {
	PresetSpeke20Audio string `json:"presetSpeke20Audio"`
	PresetSpeke20Video string `json:"presetSpeke20Video"`
}

// HLSEncryption is the encryption of an HLS (TS) endpoint.
type HLSEncryption struct {
	ConstantInitializationVector string            `json:"constantInitializationVector,omitempty"`
	EncryptionMethod             string            `json:"encryptionMethod,omitempty"`
	KeyRotationIntervalSeconds   int               `json:"keyRotationIntervalSeconds"`
	RepeatExtXKey                bool              `json:"repeatExtXKey"`
	SPEKEKeyProvider             *SPEKEKeyProvider `json:"spekeKeyProvider"`
}

// CMAFEncryption is the encryption of a CMAF endpoint.
type CMAFEncryption struct {
	ConstantInitializationVector string            `json:"constantInitializationVector,omitempty"`
	EncryptionMethod             string            `json:"encryptionMethod,omitempty"`
	KeyRotationIntervalSeconds   int               `json:"keyRotationIntervalSeconds"`
	SPEKEKeyProvider             *SPEKEKeyProvider `json:"spekeKeyProvider"`
}

// DASHEncryption is the encryption of a DASH endpoint.
type DASHEncryption struct {
	KeyRotationIntervalSeconds int               `json:"keyRotationIntervalSeconds"`
	SPEKEKeyProvider           *SPEKEKeyProvider `json:"spekeKeyProvider"`
}

// MSSEncryption is the encryption of a Smooth Streaming endpoint.
type MSSEncryption struct {
	SPEKEKeyProvider *SPEKEKeyProvider `json:"spekeKeyProvider"`
}

// HLSPackage is the packaging of an HLS endpoint with TS segments.
type HLSPackage struct {
	AdMarkers                      string           `json:"adMarkers,omitempty"`
	AdTriggers                     []string         `json:"adTriggers"`
	AdsOnDeliveryRestrictions      string           `json:"adsOnDeliveryRestrictions,omitempty"`
	Encryption                     *HLSEncryption   `json:"encryption,omitempty"`
	IncludeDVBSubtitles            bool             `json:"includeDvbSubtitles"`
	IncludeIframeOnlyStream        bool             `json:"includeIframeOnlyStream"`
	PlaylistType                   string           `json:"playlistType,omitempty"`
	PlaylistWindowSeconds          int              `json:"playlistWindowSeconds,omitempty"`
	ProgramDateTimeIntervalSeconds int              `json:"programDateTimeIntervalSeconds,omitempty"`
	SegmentDurationSeconds         int              `json:"segmentDurationSeconds,omitempty"`
	StreamSelection                *StreamSelection `json:"streamSelection,omitempty"`
	UseAudioRenditionGroup         bool             `json:"useAudioRenditionGroup"`
}

// HLSManifest is one HLS manifest of a CMAF endpoint.
type HLSManifest struct {
	ID                             string   `json:"id"`
	AdMarkers                      string   `json:"adMarkers,omitempty"`
	AdTriggers                     []string `json:"adTriggers"`
	AdsOnDeliveryRestrictions      string   `json:"adsOnDeliveryRestrictions,omitempty"`
	IncludeIframeOnlyStream        bool     `json:"includeIframeOnlyStream"`
	ManifestName                   string   `json:"manifestName,omitempty"`
	PlaylistType                   string   `json:"playlistType,omitempty"`
	PlaylistWindowSeconds          int      `json:"playlistWindowSeconds,omitempty"`
	ProgramDateTimeIntervalSeconds int      `json:"programDateTimeIntervalSeconds,omitempty"`
	URL                            string   `json:"url"`
}

// CMAFPackage is the packaging of a CMAF endpoint: fMP4 segments shared by
// one or more HLS manifests.
type CMAFPackage struct {
	Encryption             *CMAFEncryption  `json:"encryption,omitempty"`
	HLSManifests           []HLSManifest    `json:"hlsManifests,omitempty"`
	SegmentDurationSeconds int              `json:"segmentDurationSeconds,omitempty"`
	SegmentPrefix          string           `json:"segmentPrefix,omitempty"`
	StreamSelection        *StreamSelection `json:"streamSelection,omitempty"`
}

// DASHPackage is the packaging of a DASH endpoint.
type DASHPackage struct {
	AdTriggers                        []string         `json:"adTriggers"`
	AdsOnDeliveryRestrictions         string           `json:"adsOnDeliveryRestrictions,omitempty"`
	Encryption                        *DASHEncryption  `json:"encryption,omitempty"`
	IncludeIframeOnlyStream           bool             `json:"includeIframeOnlyStream"`
	ManifestLayout                    string           `json:"manifestLayout,omitempty"`
	ManifestWindowSeconds             int              `json:"manifestWindowSeconds,omitempty"`
	MinBufferTimeSeconds              int              `json:"minBufferTimeSeconds,omitempty"`
	MinUpdatePeriodSeconds            int              `json:"minUpdatePeriodSeconds,omitempty"`
	PeriodTriggers                    []string         `json:"periodTriggers,omitempty"`
	Profile                           string           `json:"profile,omitempty"`
	SegmentDurationSeconds            int              `json:"segmentDurationSeconds,omitempty"`
	SegmentTemplateFormat             string           `json:"segmentTemplateFormat,omitempty"`
	StreamSelection                   *StreamSelection `json:"streamSelection,omitempty"`
	SuggestedPresentationDelaySeconds int              `json:"suggestedPresentationDelaySeconds"`
	UTCTiming                         string           `json:"utcTiming,omitempty"`
	UTCTimingURI                      string           `json:"utcTimingUri,omitempty"`
}

// MSSPackage is the packaging of a Microsoft Smooth Streaming endpoint.
type MSSPackage struct {
	Encryption             *MSSEncryption   `json:"encryption,omitempty"`
	ManifestWindowSeconds  int              `json:"manifestWindowSeconds,omitempty"`
	SegmentDurationSeconds int              `json:"segmentDurationSeconds,omitempty"`
	StreamSelection        *StreamSelection `json:"streamSelection,omitempty"`
}

// HarvestJob is a live-to-VOD harvest request.
type HarvestJob struct {
	ARN              string        `json:"arn"`
	ID               string        `json:"id"`
	ChannelID        string        `json:"channelId"`
	OriginEndpointID string        `json:"originEndpointId"`
	StartTime        string        `json:"startTime"`
	EndTime          string        `json:"endTime"`
	S3Destination    S3Destination `json:"s3Destination"`
	Status           string        `json:"status"`
	CreatedAt        string        `json:"createdAt"`
}

// S3Destination is where a harvest job writes its VOD asset.
type S3Destination struct {
	BucketName  string `json:"bucketName"`
	ManifestKey string `json:"manifestKey"`
	RoleARN     string `json:"roleArn"`
}
