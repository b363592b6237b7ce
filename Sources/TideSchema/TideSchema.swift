// TideSchema
