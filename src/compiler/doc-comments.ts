/**
 * The doc comments of DAG and task sources, read at compile time with ts-morph: a DAG file's
 * leading `/** … *\/` and the one above the statement that declares a task script
 * (`export default defineTask({…})`). They become the DAG's and the tasks' doc_md.
 *
 * One instance per build: its ts-morph Project parses each file once, from the text `readSource`
 * gives (an in-memory file system, no imports followed, no lib files), so a build reads exactly
 * the DAG files and their task scripts.
 */
import { createRequire } from 'node:module';
import type { SourceLocation } from '../runtime/call-site.ts';
import type { ReadSource } from './locate-option.ts';

type TsMorph = typeof import('ts-morph');
type SourceFile = import('ts-morph').SourceFile;

let tsMorph: TsMorph | undefined;
/** Loaded on first use (about half a second): commands that compile nothing never pay for it. */
function loadTsMorph(): TsMorph {
  tsMorph ??= createRequire(import.meta.url)('ts-morph') as TsMorph;
  return tsMorph;
}

/** The text of a `/** … *\/` comment: delimiters and each line's leading ` * ` removed, trimmed. */
export function docCommentText(comment: string): string | undefined {
  if (!comment.startsWith('/**') || !comment.endsWith('*/') || comment.length < 5) return undefined;
  const text = comment
    .slice(3, -2)
    .split(/\r?\n/)
    .map((line) => line.replace(/^\s*\* ?/, '').trimEnd())
    .join('\n')
    .trim();
  return text || undefined;
}

export class DocComments {
  private readonly project: import('ts-morph').Project;
  private readonly files = new Map<string, SourceFile | undefined>();
  /** Docs already read, by file or declaration: later compiles in the build ask ts-morph nothing. */
  private readonly found = new Map<string, string | undefined>();

  constructor(private readonly readSource: ReadSource) {
    const { Project } = loadTsMorph();
    this.project = new Project({ useInMemoryFileSystem: true, skipFileDependencyResolution: true, skipLoadingLibFiles: true });
  }

  /** The file's leading doc comment (before its first statement), if it starts with one. */
  fileDoc(file: string): string | undefined {
    return this.remember(`file ${file}`, () => this.readFileDoc(file));
  }

  /** The doc comment right above the top-level statement holding `at` (e.g. the `defineTask` call). */
  declarationDoc(at: SourceLocation): string | undefined {
    return this.remember(`declaration ${at.file}:${at.line}`, () => this.readDeclarationDoc(at));
  }

  private remember(key: string, read: () => string | undefined): string | undefined {
    if (!this.found.has(key)) this.found.set(key, read());
    return this.found.get(key);
  }

  private readFileDoc(file: string): string | undefined {
    const source = this.parse(file);
    const first = source?.getStatementsWithComments()[0];
    if (!first) return undefined;
    const leading = loadTsMorph().Node.isCommentNode(first) ? first.getText() : first.getLeadingCommentRanges()[0]?.getText();
    return leading === undefined ? undefined : docCommentText(leading);
  }

  private readDeclarationDoc(at: SourceLocation): string | undefined {
    const source = this.parse(at.file);
    const statement = source?.getStatements().find((s) => s.getStartLineNumber() <= at.line && at.line <= s.getEndLineNumber());
    if (!statement || !loadTsMorph().Node.isJSDocable(statement)) return undefined;
    const nearest = statement.getJsDocs().at(-1);
    return nearest === undefined ? undefined : docCommentText(nearest.getText());
  }

  private parse(file: string): SourceFile | undefined {
    if (!this.files.has(file)) {
      const text = this.readSource(file);
      this.files.set(file, text === undefined ? undefined : this.project.createSourceFile(file, text, { overwrite: true }));
    }
    return this.files.get(file);
  }
}
