package ingest

import (
	"strconv"
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
	b = append(b, `{"timestamp":"`...)
	b = accesslog.AppendTime(b, rec.Timestamp)
	b = append(b, `","clientIp":`...)
	b = accesslog.AppendString(b, rec.ClientIP)
	b = append(b, `,"processingTime":`...)
	b = accesslog.AppendFloat(b, rec.ProcessingTime.Seconds())
	b = append(b, `,"statusCode":"`...)
	b = strconv.AppendInt(b, int64(rec.StatusCode), 10)
	b = append(b, `","receivedBytes":`...)
	b = strconv.AppendInt(b, rec.ReceivedBytes, 10)
	b = append(b, `,"sentBytes":`...)
	b = strconv.AppendInt(b, rec.SentBytes, 10)
	b = append(b, `,"method":`...)
	b = accesslog.AppendString(b, rec.Method)
	b = append(b, `,"request":`...)
	b = accesslog.AppendString(b, rec.Request)
	b = append(b, `,"protocol":`...)
	b = accesslog.AppendString(b, rec.Protocol)
	b = append(b, `,"userAgent":`...)
	b = accesslog.AppendUserAgent(b, rec.UserAgent)
	b = append(b, `,"channelId":`...)
	b = accesslog.AppendString(b, rec.ChannelID)
	b = append(b, `,"ingestEndpointId":`...)
	b = accesslog.AppendString(b, rec.IngestEndpointID)
	b = append(b, `,"requestId":`...)
	b = accesslog.AppendString(b, rec.RequestID)
	return append(b, "}\n"...)
}
