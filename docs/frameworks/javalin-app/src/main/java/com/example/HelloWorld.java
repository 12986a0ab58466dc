package com.example;

import io.javalin.Javalin;

public class HelloWorld {

    public static void main(String[] args) {
        Javalin.create(config -> {
            config.routes.get("/hello", ctx -> ctx.result("Hello from Javalin"));
        }).start(7070);
    }
}
