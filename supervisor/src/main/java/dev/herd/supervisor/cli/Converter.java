package dev.herd.supervisor.cli;

import java.util.function.Function;
import picocli.CommandLine;

/**
 * Adapts a config validator ({@code String -> T}, throwing IllegalArgumentException with a message) to a
 * picocli converter, so a bad flag value is reported as a usage error with the validator's own words.
 */
abstract class Converter<T> implements CommandLine.ITypeConverter<T> {

    private final Function<String, T> parse;

    Converter(Function<String, T> parse) {
        this.parse = parse;
    }

    @Override
    public T convert(String value) {
        try {
            return parse.apply(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }
}
