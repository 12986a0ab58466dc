package dev.herd.config;

/**
 * A single configuration value that is not acceptable, split into the value as the user wrote it and the
 * problem with it, so that each caller can show the value in its own syntax. {@link #getMessage()} is the
 * plain form, {@code '30x' is not a duration (use e.g. 500ms, 30s, 2m)}; the file loader instead shows the
 * JSON value ({@code "workers": -1 is not a whole number from 1 to 1024}). Callers that do not care can treat
 * it as any other {@link IllegalArgumentException}.
 */
public class InvalidValueException extends IllegalArgumentException {

    private final String value;
    private final String problem;

    /**
     * @param value   the offending value as the user wrote it
     * @param problem what is wrong, phrased to follow the value: {@code "is not a known app (known apps: echo)"}
     */
    public InvalidValueException(String value, String problem) {
        super("'" + value + "' " + problem);
        this.value = value;
        this.problem = problem;
    }

    /** The offending value as the user wrote it. */
    public String value() {
        return value;
    }

    /** What is wrong with the value, without the value itself. */
    public String problem() {
        return problem;
    }
}
