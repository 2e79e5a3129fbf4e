/** OpenAI's error body, used on every `/v1/*` error response. */
export interface OpenAiErrorBody {
  error: {
    message: string;
    type: string;
    param: string | null;
    code: string | null;
  };
}
