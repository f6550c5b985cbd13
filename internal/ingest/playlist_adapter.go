package ingest

import "errors"

func parsePlaylist(b []byte) (*parsedPlaylist, error) { return nil, errors.New("todo") }
