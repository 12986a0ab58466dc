package dev.herd.config;

import java.util.Optional;

/**
 * One configuration key, one row of the table in {@link ConfigKeys}: its name in the config file (a path such as
 * {@code worker.jvmOptions} for keys inside the {@code worker} object), its {@code herd run} flag if it has one,
 * its type (which parses and checks its values), its default, what a reload does with a new value, and its
 * one-line documentation.
 *
 * @param <T> the value's Java type
 */
public final class ConfigKey<T> {

    /** What a reload does when the file changes the key's value. */
    public enum OnReload {
        /** The new value applies: to workers started from then on, the rolling restart, the socket, the files. */
        APPLIED,
        /** The reload is refused: only a restart of herd itself changes it. */
        NEEDS_RESTART
    }

    private final String name;
    private final Optional<String> flag;
    private final ValueType<T> type;
    private final T defaultValue;
    private final String defaultDoc;
    private final OnReload onReload;
    private final String doc;

    ConfigKey(String name, Optional<String> flag, ValueType<T> type, T defaultValue, String defaultDoc,
              OnReload onReload, String doc) {
        this.name = name;
        this.flag = flag;
        this.type = type;
        this.defaultValue = defaultValue;
        this.defaultDoc = defaultDoc;
        this.onReload = onReload;
        this.doc = doc;
    }

    /** The key's path in the config file: {@code workers}, {@code worker.env}. */
    public String name() {
        return name;
    }

    /** The {@code herd run} flag, such as {@code --workers}. */
    public Optional<String> flag() {
        return flag;
    }

    public ValueType<T> type() {
        return type;
    }

    public T defaultValue() {
        return defaultValue;
    }

    /** The default as the docs show it: {@code 30s}, {@code number of CPUs}, {@code none}. */
    public String defaultDoc() {
        return defaultDoc;
    }

    public OnReload onReload() {
        return onReload;
    }

    public String doc() {
        return doc;
    }

    /** The object the key sits in: {@code ""} at the top, {@code "worker"} inside it. */
    String objectPath() {
        int dot = name.lastIndexOf('.');
        return dot < 0 ? "" : name.substring(0, dot);
    }

    /** The key's field name inside its object. */
    String fieldName() {
        return name.substring(name.lastIndexOf('.') + 1);
    }

    @Override
    public String toString() {
        return name;
    }
}
