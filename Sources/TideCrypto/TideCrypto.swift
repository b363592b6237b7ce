// TideCrypto
