/** The "Welcome to Rust" text lesson from the CourseLit public API seed, verbatim. */
export const WELCOME_TO_RUST = {
  type: 'doc',
  content: [
    { type: 'heading', attrs: { level: 2 }, content: [{ type: 'text', text: 'Install Rust' }] },
    {
      type: 'paragraph',
      content: [
        { type: 'text', text: 'Install ' },
        { type: 'text', marks: [{ type: 'bold' }], text: 'rustup' },
        { type: 'text', text: ' and create your first project.' },
      ],
    },
    {
      type: 'bulletList',
      content: [
        { type: 'listItem', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'Run the installer.' }] }] },
      ],
    },
    {
      type: 'blockquote',
      content: [
        {
          type: 'paragraph',
          content: [
            {
              type: 'text',
              marks: [{ type: 'link', attrs: { href: 'https://www.rust-lang.org/tools/install' } }],
              text: 'Rust installation guide',
            },
          ],
        },
      ],
    },
    { type: 'horizontalRule' },
    { type: 'codeBlock', attrs: { language: 'bash' }, content: [{ type: 'text', text: 'cargo new hello-rust' }] },
    {
      type: 'table',
      content: [
        {
          type: 'tableRow',
          content: [
            { type: 'tableHeader', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'Command' }] }] },
            { type: 'tableHeader', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'Purpose' }] }] },
          ],
        },
        {
          type: 'tableRow',
          content: [
            { type: 'tableCell', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'cargo run' }] }] },
            {
              type: 'tableCell',
              content: [{ type: 'paragraph', content: [{ type: 'text', text: 'Build and run the project' }] }],
            },
          ],
        },
      ],
    },
  ],
};
