package ingest

import "boxcar/internal/accesslog"

// accessRecord is one ingress access-log line with MediaPackage's field
// names (mediapackage.md §4.2). It never carries credentials: the request
// field is scheme, host and path only.
type accessRecord struct {
	accesslog.Fields // ProcessingTime: body received to response
	ChannelID        string
	IngestEndpointID string
	RequestID        string
}

// appendJSON appends rec as one JSON object and a newline, the bytes
// encoding/json wrote for it before: processingTime in seconds as a
// shortest float, statusCode a string.
func (rec *accessRecord) appendJSON(b []byte) []byte {
	b = rec.AppendHead(b)
	b = accesslog.AppendFloat(b, rec.ProcessingTime.Seconds())
	b = rec.AppendExchange(b)
	b = append(b, `,"channelId":`...)
	b = accesslog.AppendString(b, rec.ChannelID)
	b = append(b, `,"ingestEndpointId":`...)
	b = accesslog.AppendString(b, rec.IngestEndpointID)
	b = append(b, `,"requestId":`...)
	b = accesslog.AppendString(b, rec.RequestID)
	return append(b, "}\n"...)
}
