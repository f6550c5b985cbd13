package ingest

import (
	"time"

	"boxcar/internal/accesslog"
)

// accessRecord is one ingress access-log line with MediaPackage's field
// names (mediapackage.md §4.2). It never carries credentials: the request
// field is scheme, host and path only.
type accessRecord struct {
	Timestamp        time.Time
	ClientIP         string
	ProcessingTime   time.Duration // body received to response
	StatusCode       int
	ReceivedBytes    int64
	SentBytes        int64
	Method           string
	Request          string // scheme://host/path
	Protocol         string
	UserAgent        string
	ChannelID        string
	IngestEndpointID string
	RequestID        string
}

// appendJSON appends rec as one JSON object and a newline, the bytes
// encoding/json wrote for it before: processingTime in seconds as a
// shortest float, statusCode a string.
func (rec *accessRecord) appendJSON(b []byte) []byte {
	b = accesslog.AppendHead(b, rec.Timestamp, rec.ClientIP)
	b = accesslog.AppendFloat(b, rec.ProcessingTime.Seconds())
	b = accesslog.AppendExchange(b, rec.StatusCode, rec.ReceivedBytes, rec.SentBytes, rec.Method, rec.Request, rec.Protocol, rec.UserAgent)
	b = append(b, `,"channelId":`...)
	b = accesslog.AppendString(b, rec.ChannelID)
	b = append(b, `,"ingestEndpointId":`...)
	b = accesslog.AppendString(b, rec.IngestEndpointID)
	b = append(b, `,"requestId":`...)
	b = accesslog.AppendString(b, rec.RequestID)
	return append(b, "}\n"...)
}
