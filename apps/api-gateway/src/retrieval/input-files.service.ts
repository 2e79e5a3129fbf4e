import { Injectable } from '@nestjs/common';
import {
  ChatCompletionRequest,
  ContentPartInput,
  InputFilePart,
  ItemInput,
  MAX_ITEM_TEXT_CHARS,
  Principal,
  ResponsesInputItem,
} from '@llmp/contracts';
import { ExtractError, extractText } from '@llmp/documents';
import { ApiError, ApiErrorCode } from '@llmp/platform';
import { assertScope } from '../auth/require-scope.decorator';
import { RagClient } from './rag.client';

/** `data:<mime>[;param…];base64,<data>`; bare base64 is accepted too. */
const DATA_URL = /^data:([^;,]*)((?:;[^;,]*)*?);base64,(.*)$/s;
const BASE64 = /^[A-Za-z0-9+/\s]*={0,2}\s*$/;

/**
 * `input_file` parts of a Responses input: each is replaced by an `input_text` part holding the file's extracted
 * text (the extractors rag ingest uses), so the model reads the document, the stored input item keeps what it
 * read, and a later turn sees the same text without the file. Inline files (`file_data`) are decoded here;
 * uploaded ones (`file_id`, scope `files.read`, the caller's own files only) are read from the rag service.
 * `file_url` is refused: the gateway does not fetch URLs on a client's behalf.
 */
@Injectable()
export class InputFiles {
  constructor(private readonly rag: RagClient) {}

  async toItems(p: Principal, input: ResponsesInputItem[]): Promise<ItemInput[]> {
    return Promise.all(
      input.map(async (item, i): Promise<ItemInput> => {
        // Without input_file parts, a Responses item is already a stored item's input.
        if (item.type !== 'message' || typeof item.content === 'string') return item as ItemInput;
        if (!item.content.some((part) => part.type === 'input_file')) return item as ItemInput;
        const content = await Promise.all(
          item.content.map(async (part, j): Promise<ContentPartInput> =>
            part.type === 'input_file'
              ? { type: 'input_text', text: await this.text(p, part, `input[${i}].content[${j}]`) }
              : part,
          ),
        );
        return { ...item, content };
      }),
    );
  }

  /**
   * Chat Completions' `file` parts of user messages, replaced by `text` parts holding each file's text (the
   * other messages are returned as they are).
   */
  async toChatMessages(
    p: Principal,
    messages: ChatCompletionRequest['messages'],
  ): Promise<ChatCompletionRequest['messages']> {
    if (
      !messages.some((m) => m.role === 'user' && Array.isArray(m.content) && m.content.some((c) => c.type === 'file'))
    ) {
      return messages;
    }
    return Promise.all(
      messages.map(async (m, i) => {
        if (m.role !== 'user' || typeof m.content === 'string') return m;
        const content = await Promise.all(
          m.content.map(async (part, j) =>
            part.type === 'file'
              ? {
                  type: 'text' as const,
                  text: await this.text(p, { type: 'input_file', ...part.file }, `messages[${i}].content[${j}].file`),
                }
              : part,
          ),
        );
        return { ...m, content };
      }),
    );
  }

  /** The file as the model reads it: its name, then its text. */
  private async text(p: Principal, part: InputFilePart, param: string): Promise<string> {
    const sources = (['file_id', 'file_data', 'file_url'] as const).filter((k) => part[k] != null);
    if (sources.length !== 1) {
      throw new ApiError(
        ApiErrorCode.InvalidRequest,
        `An input_file part needs exactly one of file_id, file_data or file_url (got ${sources.length ? sources.join(', ') : 'none'}).`,
        param,
      );
    }
    if (part.file_url != null) {
      throw new ApiError(
        ApiErrorCode.UnsupportedParameter,
        'file_url is not supported: this server does not fetch URLs. Send the file inline as file_data, or upload it (POST /v1/files) and pass its file_id.',
        `${param}.file_url`,
      );
    }
    const file = part.file_id != null ? await this.uploaded(p, part.file_id, param) : inline(part, param);
    let text: string;
    try {
      ({ text } = await extractText(file));
    } catch (err) {
      if (err instanceof ExtractError) throw new ApiError(ApiErrorCode.InvalidRequest, err.message, param);
      throw err;
    }
    const rendered = `<file name="${file.filename.replace(/"/g, "'")}">\n${text}\n</file>`;
    if (rendered.length > MAX_ITEM_TEXT_CHARS) {
      throw new ApiError(
        ApiErrorCode.InvalidRequest,
        `${file.filename} has ${text.length} characters of text, more than one input item may hold (${MAX_ITEM_TEXT_CHARS}).`,
        param,
      );
    }
    return rendered;
  }

  private async uploaded(p: Principal, id: string, param: string) {
    assertScope(p, 'files.read', `${param}.file_id`);
    const file = await this.rag.call('getFileContent', { id, userId: p.userId });
    return { bytes: Buffer.from(file.base64, 'base64'), filename: file.filename, mimeType: file.mimeType };
  }
}

function inline(part: InputFilePart, param: string) {
  const data = part.file_data!;
  const url = DATA_URL.exec(data);
  const base64 = url ? url[3]! : data;
  if (!BASE64.test(base64)) {
    throw new ApiError(
      ApiErrorCode.InvalidRequest,
      'file_data must be base64, or a data URL (data:<media type>;base64,<data>).',
      `${param}.file_data`,
    );
  }
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length === 0) throw new ApiError(ApiErrorCode.InvalidRequest, 'file_data is empty.', `${param}.file_data`);
  return { bytes, filename: part.filename ?? 'file', mimeType: url?.[1] || null };
}
