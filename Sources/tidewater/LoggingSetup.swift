import Foundation
import Logging

/// Logs go to stderr (stdout carries the command's output), at `LOG_LEVEL` if set.
func bootstrapLogging(defaultLevel: Logger.Level) {
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? defaultLevel
        return handler
    }
}
