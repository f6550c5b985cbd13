package egress

import (
	"strconv"

	"boxcar/internal/accesslog"
)

// accessRecord is one egress access-log line with MediaPackage's field
// names (mediapackage.md §4.2). It never carries secrets: the CDN
// identifier header is not logged.
type accessRecord struct {
	accesslog.Fields // ProcessingTime: receipt to response headers
	DomainName       string
	Account          string
	ChannelID        string
	EndpointID       string
	EndpointARN      string
	RequestID        string
}

// appendJSON appends rec as one JSON object and a newline.
func (rec *accessRecord) appendJSON(b []byte) []byte {
	b = rec.AppendHead(b)
	b = strconv.AppendFloat(b, rec.ProcessingTime.Seconds(), 'f', 6, 64)
	b = rec.AppendExchange(b)
	b = append(b, `,"domainName":`...)
	b = accesslog.AppendString(b, rec.DomainName)
	if rec.Account != "" {
		b = append(b, `,"account":`...)
		b = accesslog.AppendString(b, rec.Account)
	}
	b = append(b, `,"channelId":`...)
	b = accesslog.AppendString(b, rec.ChannelID)
	b = append(b, `,"endpointId":`...)
	b = accesslog.AppendString(b, rec.EndpointID)
	if rec.EndpointARN != "" {
		b = append(b, `,"endpointArn":`...)
		b = accesslog.AppendString(b, rec.EndpointARN)
	}
	b = append(b, `,"requestId":`...)
	b = accesslog.AppendString(b, rec.RequestID)
	b = append(b, "}\n"...)
	return b
}

// hexDigits spell request ids.
const hexDigits = "0123456789abcdef"
