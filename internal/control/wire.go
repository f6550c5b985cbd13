package control

import (
	"encoding/json"

	"boxcar/internal/configstore"
)

// Request bodies as the classic MediaPackage API (2017-10-12) sends them.
// Integers with a server-side default are pointers so an absent member
// (default) differs from an explicit value (validated as given). Response
// bodies are the configstore resource types, which are wire-shaped.

type createChannelRequest struct {
	ID          string            `json:"id"`
	Description string            `json:"description"`
	Tags        map[string]string `json:"tags"`
}

type updateChannelRequest struct {
	Description *string `json:"description"`
}

type configureLogsRequest struct {
	EgressAccessLogs  *configstore.AccessLogs `json:"egressAccessLogs"`
	IngressAccessLogs *configstore.AccessLogs `json:"ingressAccessLogs"`
}

// endpointSettings are the members CreateOriginEndpoint and
// UpdateOriginEndpoint share.
type endpointSettings struct {
	Description            string                     `json:"description"`
	ManifestName           string                     `json:"manifestName"`
	StartoverWindowSeconds *int                       `json:"startoverWindowSeconds"`
	TimeDelaySeconds       *int                       `json:"timeDelaySeconds"`
	Whitelist              []string                   `json:"whitelist"`
	Origination            string                     `json:"origination"`
	Authorization          *configstore.Authorization `json:"authorization"`
	HLSPackage             *hlsPackageIn              `json:"hlsPackage"`
	CMAFPackage            *cmafPackageIn             `json:"cmafPackage"`
	DASHPackage            *dashPackageIn             `json:"dashPackage"`
	MSSPackage             *mssPackageIn              `json:"mssPackage"`
}

type createEndpointRequest struct {
	ID        string            `json:"id"`
	ChannelID string            `json:"channelId"`
	Tags      map[string]string `json:"tags"`
	endpointSettings
}

// updateEndpointRequest carries the immutable members only to reject them
// with a message better than "unknown field".
type updateEndpointRequest struct {
	ID        json.RawMessage `json:"id"`
	ChannelID json.RawMessage `json:"channelId"`
	Tags      json.RawMessage `json:"tags"`
	endpointSettings
}

type hlsPackageIn struct {
	AdMarkers                      string                       `json:"adMarkers"`
	AdTriggers                     []string                     `json:"adTriggers"`
	AdsOnDeliveryRestrictions      string                       `json:"adsOnDeliveryRestrictions"`
	Encryption                     *hlsEncryptionIn             `json:"encryption"`
	IncludeDVBSubtitles            bool                         `json:"includeDvbSubtitles"`
	IncludeIframeOnlyStream        bool                         `json:"includeIframeOnlyStream"`
	PlaylistType                   string                       `json:"playlistType"`
	PlaylistWindowSeconds          *int                         `json:"playlistWindowSeconds"`
	ProgramDateTimeIntervalSeconds *int                         `json:"programDateTimeIntervalSeconds"`
	SegmentDurationSeconds         *int                         `json:"segmentDurationSeconds"`
	StreamSelection                *configstore.StreamSelection `json:"streamSelection"`
	UseAudioRenditionGroup         bool                         `json:"useAudioRenditionGroup"`
}

type hlsEncryptionIn struct {
	ConstantInitializationVector string                        `json:"constantInitializationVector"`
	EncryptionMethod             string                        `json:"encryptionMethod"`
	KeyRotationIntervalSeconds   *int                          `json:"keyRotationIntervalSeconds"`
	RepeatExtXKey                bool                          `json:"repeatExtXKey"`
	SPEKEKeyProvider             *configstore.SPEKEKeyProvider `json:"spekeKeyProvider"`
}

type cmafPackageIn struct {
	Encryption             *cmafEncryptionIn            `json:"encryption"`
	HLSManifests           []hlsManifestIn              `json:"hlsManifests"`
	SegmentDurationSeconds *int                         `json:"segmentDurationSeconds"`
	SegmentPrefix          string                       `json:"segmentPrefix"`
	StreamSelection        *configstore.StreamSelection `json:"streamSelection"`
}

type cmafEncryptionIn struct {
	ConstantInitializationVector string                        `json:"constantInitializationVector"`
	EncryptionMethod             string                        `json:"encryptionMethod"`
	KeyRotationIntervalSeconds   *int                          `json:"keyRotationIntervalSeconds"`
	SPEKEKeyProvider             *configstore.SPEKEKeyProvider `json:"spekeKeyProvider"`
}

type hlsManifestIn struct {
	ID                             string   `json:"id"`
	AdMarkers                      string   `json:"adMarkers"`
	AdTriggers                     []string `json:"adTriggers"`
	AdsOnDeliveryRestrictions      string   `json:"adsOnDeliveryRestrictions"`
	IncludeIframeOnlyStream        bool     `json:"includeIframeOnlyStream"`
	ManifestName                   string   `json:"manifestName"`
	PlaylistType                   string   `json:"playlistType"`
	PlaylistWindowSeconds          *int     `json:"playlistWindowSeconds"`
	ProgramDateTimeIntervalSeconds *int     `json:"programDateTimeIntervalSeconds"`
}

type dashPackageIn struct {
	AdTriggers                        []string                     `json:"adTriggers"`
	AdsOnDeliveryRestrictions         string                       `json:"adsOnDeliveryRestrictions"`
	Encryption                        *dashEncryptionIn            `json:"encryption"`
	IncludeIframeOnlyStream           bool                         `json:"includeIframeOnlyStream"`
	ManifestLayout                    string                       `json:"manifestLayout"`
	ManifestWindowSeconds             *int                         `json:"manifestWindowSeconds"`
	MinBufferTimeSeconds              *int                         `json:"minBufferTimeSeconds"`
	MinUpdatePeriodSeconds            *int                         `json:"minUpdatePeriodSeconds"`
	PeriodTriggers                    []string                     `json:"periodTriggers"`
	Profile                           string                       `json:"profile"`
	SegmentDurationSeconds            *int                         `json:"segmentDurationSeconds"`
	SegmentTemplateFormat             string                       `json:"segmentTemplateFormat"`
	StreamSelection                   *configstore.StreamSelection `json:"streamSelection"`
	SuggestedPresentationDelaySeconds *int                         `json:"suggestedPresentationDelaySeconds"`
	UTCTiming                         string                       `json:"utcTiming"`
	UTCTimingURI                      string                       `json:"utcTimingUri"`
}

type dashEncryptionIn struct {
	KeyRotationIntervalSeconds *int                          `json:"keyRotationIntervalSeconds"`
	SPEKEKeyProvider           *configstore.SPEKEKeyProvider `json:"spekeKeyProvider"`
}

type mssPackageIn struct {
	Encryption             *mssEncryptionIn             `json:"encryption"`
	ManifestWindowSeconds  *int                         `json:"manifestWindowSeconds"`
	SegmentDurationSeconds *int                         `json:"segmentDurationSeconds"`
	StreamSelection        *configstore.StreamSelection `json:"streamSelection"`
}

type mssEncryptionIn struct {
	SPEKEKeyProvider *configstore.SPEKEKeyProvider `json:"spekeKeyProvider"`
}

type createHarvestJobRequest struct {
	ID               string                     `json:"id"`
	OriginEndpointID string                     `json:"originEndpointId"`
	StartTime        string                     `json:"startTime"`
	EndTime          string                     `json:"endTime"`
	S3Destination    *configstore.S3Destination `json:"s3Destination"`
}

type tagResourceRequest struct {
	Tags map[string]string `json:"tags"`
}

type listChannelsResponse struct {
	Channels  []*configstore.Channel `json:"channels"`
	NextToken string                 `json:"nextToken,omitempty"`
}

type listEndpointsResponse struct {
	OriginEndpoints []*configstore.OriginEndpoint `json:"originEndpoints"`
	NextToken       string                        `json:"nextToken,omitempty"`
}

type listHarvestJobsResponse struct {
	HarvestJobs []*configstore.HarvestJob `json:"harvestJobs"`
	NextToken   string                    `json:"nextToken,omitempty"`
}

type tagsResponse struct {
	Tags map[string]string `json:"tags"`
}
