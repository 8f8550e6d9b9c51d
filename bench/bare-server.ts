// The ceiling for the gateway benchmark: fastify answering the same body with no key check.
import Fastify from "fastify";

const app = Fastify({ logger: false });
app.post("/v1/chat/completions", async (req: any) => {
  const text = req.body?.messages?.[0]?.content ?? "";
  return {
    id: "chatcmpl-bare",
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: req.body?.model,
    choices: [{ index: 0, message: { role: "assistant", content: `echo: ${text}` }, finish_reason: "stop" }],
    usage: { prompt_tokens: text.length, completion_tokens: text.length + 6, total_tokens: 2 * text.length + 6 },
  };
});
app
  .listen({ port: Number(process.argv[2] ?? 0), host: "127.0.0.1" })
  .then((address) => console.log(`listening ${address}`));
