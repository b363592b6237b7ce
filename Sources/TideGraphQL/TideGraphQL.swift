// TideGraphQL
