package dev.herd.config;

/**
 * Two configuration keys whose values do not go together, each valid alone: {@code "worker.command" cannot be
 * used with "worker.mainClass"}, {@code "worker.classpath" needs "worker.mainClass"}. Thrown by the
 * {@link WorkerSpec} and {@link HerdConfig} constructors; it carries both key paths so that the file loader can
 * add the lines they are on. The message names {@link #key()} first and {@link #otherKey()} last.
 */
public class KeyConflictException extends IllegalArgumentException {

    private final String key;
    private final String otherKey;

    private KeyConflictException(String key, String otherKey, String message) {
        super(message);
        this.key = key;
        this.otherKey = otherKey;
    }

    /** {@code key} and {@code otherKey} cannot both be set. */
    static KeyConflictException exclusive(String key, String otherKey) {
        return new KeyConflictException(key, otherKey, quote(key) + " cannot be used with " + quote(otherKey));
    }

    /** {@code key} is set but means nothing without {@code otherKey}; {@code condition} may say what it needs. */
    static KeyConflictException needs(String key, String otherKey, String condition) {
        return new KeyConflictException(key, otherKey,
                quote(key) + " needs " + quote(otherKey) + (condition.isEmpty() ? "" : " " + condition));
    }

    /** {@code key} and {@code otherKey} together break a rule that {@code message} states. */
    static KeyConflictException together(String key, String otherKey, String message) {
        return new KeyConflictException(key, otherKey, message);
    }

    /** The key the message is about, as a path such as {@code worker.classpath}. */
    public String key() {
        return key;
    }

    /** The key it conflicts with or needs. */
    public String otherKey() {
        return otherKey;
    }

    private static String quote(String key) {
        return "\"" + key + "\"";
    }
}
