// TideStore
