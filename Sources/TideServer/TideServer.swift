// TideServer
